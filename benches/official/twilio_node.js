// Times twilio-node's validateRequest and VoiceResponse on the inputs of benches/signature.rs.
//
// Run through run.sh, which installs twilio into a temporary directory outside the repository
// and points NODE_PATH at it. Prints one JSON object per operation: {"lib", "op", "ns_per_op", ...}.
// twilio-node 6.2 signs with HMAC-SHA1 only, so there is no SHA-256 figure.
"use strict";

const assert = require("node:assert");
const path = require("node:path");
const { getExpectedTwilioSignature, validateRequest } = require("twilio/lib/webhooks/webhooks");
const VoiceResponse = require("twilio/lib/twiml/VoiceResponse");
const { version } = require("twilio/package.json");

const INPUTS = require(path.join(__dirname, "inputs.json"));
const REPEATS = 7;

/** Median over REPEATS runs of `number` calls, in nanoseconds per call. */
function perOpNs(fn, number) {
  fn(); // fail loudly before timing
  for (let i = 0; i < number; i++) fn(); // let the JIT settle
  const runs = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < number; i++) fn();
    runs.push(Number(process.hrtime.bigint() - start) / number);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(REPEATS / 2)];
}

function fullDocument() {
  const response = new VoiceResponse();
  response.say({ voice: "Polly.Joanna", language: "en-US" }, "Hello & welcome <caller>");
  response.play({ loop: 2 }, "https://example.com/beep.mp3");
  response.pause({ length: 1 });
  response.record({
    action: "https://example.com/rec-done",
    maxLength: 30,
    recordingStatusCallback: "https://example.com/rec-status",
    recordingStatusCallbackEvent: "completed absent",
  });
  const gather = response.gather({ action: "/gather", input: "dtmf speech", numDigits: 1, timeout: 5 });
  gather.say("Press 1");
  response.redirect({ method: "POST" }, "https://example.com/next?a=1&b=2");
  response.hangup();
  return response;
}

const { token, form_url: formUrl, get_url: getUrl } = INPUTS;
const params = Object.fromEntries(INPUTS.params);
const sha1 = getExpectedTwilioSignature(token, formUrl, params);
const get = getExpectedTwilioSignature(token, getUrl, {});
assert(validateRequest(token, sha1, formUrl, params));
assert(validateRequest(token, get, getUrl, {}));
const prebuilt = fullDocument();
// twilio-node writes <Hangup/> without the space and keeps attributes in insertion order,
// so only check that it renders the same verbs.
assert.match(prebuilt.toString(), /^<\?xml .*<Response><Say .*<Hangup\/><\/Response>$/);

const ops = [
  ["signature/form_sha1", () => validateRequest(token, sha1, formUrl, params), 20000],
  ["signature/get_query_sha1", () => validateRequest(token, get, getUrl, {}), 20000],
  ["twiml/full_document_build_and_render", () => fullDocument().toString(), 5000],
  ["twiml/full_document_render_prebuilt", () => prebuilt.toString(), 5000],
];
for (const [op, fn, number] of ops) {
  console.log(
    JSON.stringify({
      lib: `twilio-node ${version}`,
      runtime: `node ${process.versions.node}`,
      op,
      ns_per_op: Math.round(perOpNs(fn, number)),
    }),
  );
}
