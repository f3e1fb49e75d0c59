// libxml2, for otpctl's PSKC import only (never the module): RFC 6030 key
// containers are XML with namespaces, which only a real parser reads right.
//
// A PSKC file comes from outside, so it is parsed with the network off
// (XML_PARSE_NONET), without entity substitution (no XML_PARSE_NOENT), without
// loading any DTD, and any DOCTYPE at all is refused: PSKC needs none, and a
// DOCTYPE is where external entities and entity-expansion bombs live. The
// refusal happens in the SAX callback for the DOCTYPE itself, before its
// internal subset is read, so a declared entity is never even parsed.
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <string.h>

// The outcome of cxml_parse_untrusted beyond the document itself.
typedef struct {
  int saw_doctype;    // a DOCTYPE was found: refused
  int error_line;     // where the parser's first error was, or 0
  char message[256];  // the parser's message for it, or ""
} cxml_parse_result;

static void cxml_refuse_doctype(void *context, const xmlChar *name, const xmlChar *external_id,
                                const xmlChar *system_id) {
  (void)name; (void)external_id; (void)system_id;
  xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)context;
  cxml_parse_result *result = (cxml_parse_result *)ctxt->_private;
  if (result) result->saw_doctype = 1;
  xmlStopParser(ctxt);
}

// Parses `length` bytes; NULL when the bytes are not well-formed XML or hold
// a DOCTYPE (see `result`). Free the document with xmlFreeDoc.
static inline xmlDocPtr cxml_parse_untrusted(const char *bytes, int length, cxml_parse_result *result) {
  memset(result, 0, sizeof(*result));
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (ctxt == NULL) {
    strncpy(result->message, "out of memory", sizeof(result->message) - 1);
    return NULL;
  }
  ctxt->_private = result;
  ctxt->sax->internalSubset = cxml_refuse_doctype;
  int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, bytes, length, "pskc.xml", NULL, options);
  if (doc == NULL || result->saw_doctype || !ctxt->wellFormed) {
    xmlErrorPtr error = xmlCtxtGetLastError(ctxt);
    if (error != NULL && error->message != NULL) {
      strncpy(result->message, error->message, sizeof(result->message) - 1);
      result->error_line = error->line;
    }
    if (doc != NULL) xmlFreeDoc(doc);
    doc = NULL;
  }
  xmlFreeParserCtxt(ctxt);
  return doc;
}
