"""A vendor client written from docs/protocol.md alone, with jwcrypto instead of PyJWT.

It exists to show that the document is enough to talk to a pod: nothing here comes from the
server code or from the reference ``vendor_client`` package. Section numbers refer to the
document.

``jose`` holds the compact-JWS helpers, ``keys`` the vendor's key (thumbprints, signing, DPoP
proofs), ``answers`` what the pod gives back and ``client`` the HTTP client itself.
"""

from tests.protocol.independent_client.answers import (
    PROBLEM_BASE,
    Grant,
    PendingRequest,
    Problem,
    RequestDenied,
)
from tests.protocol.independent_client.client import (
    POD_ALGS,
    PROTOCOL_VERSION,
    STATUS_LIST_BITS,
    PodClient,
)
from tests.protocol.independent_client.jose import (
    ProtocolError,
    ath,
    b64url,
    b64url_decode,
    jws_header,
    jws_payload,
    new_jti,
)
from tests.protocol.independent_client.keys import VENDOR_ALGS, VendorKey, thumbprint

__all__ = [
    "POD_ALGS",
    "PROBLEM_BASE",
    "PROTOCOL_VERSION",
    "STATUS_LIST_BITS",
    "VENDOR_ALGS",
    "Grant",
    "PendingRequest",
    "PodClient",
    "Problem",
    "ProtocolError",
    "RequestDenied",
    "VendorKey",
    "ath",
    "b64url",
    "b64url_decode",
    "jws_header",
    "jws_payload",
    "new_jti",
    "thumbprint",
]
