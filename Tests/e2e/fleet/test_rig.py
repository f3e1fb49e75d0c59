"""The slapd rig itself: TLS with the throwaway CA, the OATH-LDAP schema
from `moduleload otp`, the ACLs, and replication in the mirror pair."""

import subprocess

from rigs import slapd


def test_provider_answers_only_with_checked_tls(provider):
    assert provider.whoami().returncode == 0
    # Without the CA the certificate check fails: TLS is really checked.
    environment = {**provider.tls_environment(), "LDAPTLS_CACERT": "/dev/null"}
    refused = subprocess.run(["ldapwhoami", "-x", "-ZZ", "-H", provider.uri], capture_output=True, env=environment)
    assert refused.returncode != 0


def test_schema_comes_from_the_otp_module(provider):
    schema = provider.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", "cn=Subschema",
                           "attributeTypes").stdout
    assert "NAME 'oathTOTPLastTimeStep'" in schema and "NAME 'oathFailureCount'" in schema


def test_users_cannot_read_token_secrets(provider):
    provider.add(f"""dn: cn=rigtoken,{slapd.TOKENS}
objectClass: device
objectClass: oathTOTPToken
cn: rigtoken
oathSecret: 12345678901234567890
""")
    anonymous = subprocess.run(["ldapsearch", "-x", "-ZZ", "-LLL", "-H", provider.uri, "-b", slapd.TOKENS,
                                "oathSecret"], capture_output=True, text=True, env=provider.tls_environment())
    assert "oathSecret" not in anonymous.stdout
    host = subprocess.run(["ldapsearch", "-x", "-ZZ", "-LLL", "-H", provider.uri, "-D", slapd.HOST_DN, "-w",
                           slapd.HOST_PW, "-b", slapd.TOKENS, "oathSecret"], capture_output=True, text=True,
                          env=provider.tls_environment())
    assert "oathSecret" in host.stdout


def test_mirror_pair_replicates_both_ways(mirror_pair):
    first, second = mirror_pair
    first.add(f"dn: cn=from-first,{slapd.PARAMS}\nobjectClass: organizationalRole\ncn: from-first\n")
    second.add(f"dn: cn=from-second,{slapd.PARAMS}\nobjectClass: organizationalRole\ncn: from-second\n")
    slapd.wait_in_sync(mirror_pair)
    assert first.attribute(f"cn=from-second,{slapd.PARAMS}", "cn") == "from-second"
    assert second.attribute(f"cn=from-first,{slapd.PARAMS}", "cn") == "from-first"
