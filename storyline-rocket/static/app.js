// Makes the recording page live: server-sent events, falling back to polling. Without JavaScript the page refreshes itself.
(function () {
  "use strict";
  var section = document.getElementById("status");
  if (!section) return;
  var id = section.getAttribute("data-id");
  var current = section.getAttribute("data-status");
  var finals = ["complete", "busy", "no_answer", "failed", "canceled", "hung_up", "no_recording", "machine"];
  if (finals.indexOf(current) >= 0) return;
  var order = ["calling", "ringing", "in_progress", "recording", "processing"];
  var heading = document.getElementById("status-heading");
  var detail = document.getElementById("status-detail");

  function markSteps(status) {
    var at = order.indexOf(status);
    var steps = section.querySelectorAll("[data-step]");
    for (var i = 0; i < steps.length; i++) {
      var k = order.indexOf(steps[i].getAttribute("data-step"));
      steps[i].className = k < at ? "done" : k === at ? "current" : "";
      if (k === at) steps[i].setAttribute("aria-current", "step"); else steps[i].removeAttribute("aria-current");
    }
  }

  function show(data) {
    if (!data || data.status === current) return;
    current = data.status;
    if (finals.indexOf(current) >= 0) {
      // The ending pages carry the player or the next step: load the real page.
      window.location.reload();
      return;
    }
    if (data.heading) heading.textContent = data.heading;
    if (data.detail) detail.textContent = data.detail;
    markSteps(current);
  }

  var polling = null;
  function poll() {
    if (polling) return;
    polling = setInterval(function () {
      fetch("/recording/" + id + "/status", { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(show)
        .catch(function () {});
    }, 2000);
  }

  markSteps(current);
  if (window.EventSource) {
    var es = new EventSource("/recording/" + id + "/events");
    es.addEventListener("status", function (e) { try { show(JSON.parse(e.data)); } catch (err) {} });
    es.onerror = function () { if (es.readyState === 2) poll(); };
  } else {
    poll();
  }
})();
