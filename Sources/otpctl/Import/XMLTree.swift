import CXML

/// An element of a parsed XML document, copied out of libxml2's tree so
/// that the PSKC reading below is plain Swift over values.
struct XMLElement {
  /// The local name, without any prefix.
  let name: String
  /// The namespace URI, or "" for none.
  let namespace: String
  let attributes: [String: String]
  let children: [XMLElement]
  /// The element's own text (text and CDATA children, concatenated).
  let text: String

  func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
  func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

  /// The element at a path of child names, e.g. `["Data", "Secret"]`.
  func descendant(_ path: [String]) -> XMLElement? {
    var element = self
    for name in path {
      guard let next = element.child(name) else { return nil }
      element = next
    }
    return element
  }

  var trimmedText: String {
    String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}

enum XMLTree {
  /// The most a PSKC file may be: far more than any vendor's batch of
  /// tokens, and little enough to hold in memory.
  static let maximumSize = 16 << 20

  enum Failure: Error {
    case doctype
    case malformed(line: Int, message: String)
    case tooDeep
  }

  /// The document's root element; a DOCTYPE or anything not well-formed is
  /// refused (see CXML's shim for how the parser is set up).
  static func parse(_ bytes: [UInt8]) throws(Failure) -> XMLElement {
    var result = cxml_parse_result()
    let document = bytes.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { cxml_parse_untrusted($0.baseAddress, Int32(buffer.count), &result) }
    }
    if result.saw_doctype != 0 { throw .doctype }
    guard let document, let root = xmlDocGetRootElement(document) else {
      let message = withUnsafeBytes(of: result.message) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      throw .malformed(
        line: Int(result.error_line),
        message: message.trimmingWhitespace.isEmpty ? "not well-formed XML" : message.trimmingWhitespace)
    }
    defer { xmlFreeDoc(document) }
    return try element(root, depth: 0)
  }

  /// PSKC nests about ten deep; a document much deeper is no key container.
  private static let maximumDepth = 64

  private static func element(_ node: xmlNodePtr, depth: Int) throws(Failure) -> XMLElement {
    guard depth < maximumDepth else { throw .tooDeep }
    var attributes: [String: String] = [:]
    var attribute = node.pointee.properties
    while let current = attribute {
      let name = string(current.pointee.name)
      var value = ""
      var valueNode = current.pointee.children
      while let part = valueNode {
        value += string(part.pointee.content)
        valueNode = part.pointee.next
      }
      attributes[name] = value
      attribute = current.pointee.next
    }
    var children: [XMLElement] = []
    var text = ""
    var child = node.pointee.children
    while let current = child {
      switch current.pointee.type {
      case XML_ELEMENT_NODE: children.append(try element(current, depth: depth + 1))
      case XML_TEXT_NODE, XML_CDATA_SECTION_NODE: text += string(current.pointee.content)
      default: break
      }
      child = current.pointee.next
    }
    return XMLElement(
      name: string(node.pointee.name), namespace: node.pointee.ns.map { string($0.pointee.href) } ?? "",
      attributes: attributes, children: children, text: text)
  }

  private static func string(_ text: UnsafePointer<xmlChar>?) -> String {
    guard let text else { return "" }
    return String(cString: text)
  }
}

extension String {
  var trimmingWhitespace: String {
    String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}
