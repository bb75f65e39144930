"""Test-only WebRTC tweak for the end-to-end browser tests.

The e2e tests run the Streamlit server and headless Chromium in a network
namespace that has only the loopback interface, so no test traffic leaves the
machine. There, a connection forms only if both ends offer 127.0.0.1 as an ICE
candidate: Chromium does so with ``--allow-loopback-in-peer-connection``, but
aioice (the ICE library under aiortc) never offers 127.0.0.1 on its own, since
``aioice.ice.get_host_addresses`` drops it. This module replaces that function
inside the Streamlit server process, and only when the test-only environment
variable ``LOCATOR_TEST_LOOPBACK_ICE=1`` is set; in normal use it does nothing.

Call it at the top of the Streamlit page, before ``webrtc_streamer``::

    from locator.webrtc_testing import apply_loopback_ice_patch
    apply_loopback_ice_patch()
"""

import os


def apply_loopback_ice_patch() -> bool:
    """Make aioice offer only 127.0.0.1 when ``LOCATOR_TEST_LOOPBACK_ICE=1``.

    Safe to call on every Streamlit script run (it is idempotent). Returns True
    when the patch is in effect, False when the variable is unset (no change).
    """
    if os.environ.get("LOCATOR_TEST_LOOPBACK_ICE") != "1":
        return False
    import aioice.ice

    def loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback_host_addresses
    return True
