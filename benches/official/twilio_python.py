"""Times twilio-python's RequestValidator and VoiceResponse on the inputs of benches/signature.rs.

Run through run.sh, which installs twilio into a temporary virtualenv outside the repository.
Prints one JSON object per operation: {"lib", "op", "ns_per_op", ...}.
"""

import json
import os
import platform
import statistics
import sys
import timeit
import xml.etree.ElementTree as ElementTree
from importlib.metadata import version

from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

INPUTS = json.load(open(os.path.join(os.path.dirname(__file__), "inputs.json")))
REPEATS = 7


def per_op_ns(stmt, number):
    """Median over REPEATS runs of `number` calls, in nanoseconds per call."""
    stmt()  # warm up, and fail loudly before timing
    runs = timeit.repeat(stmt, number=number, repeat=REPEATS)
    return statistics.median(runs) / number * 1e9


def full_document():
    response = VoiceResponse()
    response.say("Hello & welcome <caller>", voice="Polly.Joanna", language="en-US")
    response.play("https://example.com/beep.mp3", loop=2)
    response.pause(length=1)
    response.record(
        action="https://example.com/rec-done",
        max_length=30,
        recording_status_callback="https://example.com/rec-status",
        recording_status_callback_event="completed absent",
    )
    gather = Gather(action="/gather", input="dtmf speech", num_digits=1, timeout=5)
    gather.say("Press 1")
    response.append(gather)
    response.redirect("https://example.com/next?a=1&b=2", method="POST")
    response.hangup()
    return response


def main():
    validator = RequestValidator(INPUTS["token"])
    form_url, get_url = INPUTS["form_url"], INPUTS["get_url"]
    params = dict(INPUTS["params"])
    sha1 = validator.compute_signature(form_url, params, "HMAC_SHA1")
    sha256 = validator.compute_signature(form_url, params, "HMAC_SHA256")
    get = validator.compute_signature(get_url, {}, "HMAC_SHA1")
    assert validator.validate(form_url, params, sha1)
    assert validator.validate(form_url, params, sha256, "HMAC_SHA256")
    assert validator.validate(get_url, {}, get)

    prebuilt = full_document()
    assert str(prebuilt) == INPUTS["full_document"], str(prebuilt)
    document = INPUTS["full_document"].encode()

    ops = {
        "signature/form_sha1": (lambda: validator.validate(form_url, params, sha1), 20000),
        "signature/form_sha256": (
            lambda: validator.validate(form_url, params, sha256, "HMAC_SHA256"),
            20000,
        ),
        "signature/get_query_sha1": (lambda: validator.validate(get_url, {}, get), 20000),
        "twiml/full_document_build_and_render": (lambda: str(full_document()), 5000),
        "twiml/full_document_render_prebuilt": (lambda: str(prebuilt), 5000),
        # Not twilio: the official libraries cannot parse TwiML; this is the standard library's
        # XML parser on the same document, for scale.
        "xml/full_document_parse_elementtree": (lambda: ElementTree.fromstring(document), 5000),
    }
    for op, (stmt, number) in ops.items():
        print(
            json.dumps(
                {
                    "lib": "twilio-python " + version("twilio"),
                    "runtime": "python " + platform.python_version(),
                    "op": op,
                    "ns_per_op": round(per_op_ns(stmt, number)),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
