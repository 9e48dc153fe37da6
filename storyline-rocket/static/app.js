// Makes the recording page live: server-sent events, falling back to polling. Without JavaScript the page refreshes
// itself (a <noscript> refresh), so nothing here is needed to finish the job.
(function () {
  "use strict";
  // The player is served with preload="none" so its audio does not compete with the page's first paint; once the
  // page has loaded, fetch enough to show the story's length in the player.
  function loadPlayers() {
    var players = document.querySelectorAll("audio[preload=none]");
    for (var i = 0; i < players.length; i++) players[i].preload = "metadata";
  }
  if (document.readyState === "complete") loadPlayers(); else window.addEventListener("load", loadPlayers);

  // Times are written by the server in its configured zone; the browser knows the reader's own.
  function localTimes(root) {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var times = root.querySelectorAll("time[data-local]");
    for (var i = 0; i < times.length; i++) {
      var at = new Date(times[i].getAttribute("datetime"));
      if (isNaN(at.getTime())) continue;
      var options = { weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit" };
      if (at.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
      try {
        times[i].textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined, options).format(at);
      } catch (err) { /* an unknown locale: the server's words stay */ }
    }
  }
  localTimes(document);

  var section = document.getElementById("status");
  if (!section) return;
  // The recording's own address, wherever Storyline is mounted.
  var page = section.getAttribute("data-page") || window.location.pathname;
  var current = section.getAttribute("data-status");
  var order = ["calling", "ringing", "in_progress", "recording", "processing"];
  // A story whose saving is delayed is not followed live: its page says to come back later.
  if (order.indexOf(current) < 0 || section.hasAttribute("data-delayed")) return;
  var heading = document.getElementById("status-heading");
  var detail = document.getElementById("status-detail");
  var source = null;
  var polling = null;
  var finished = false;

  function markSteps(status) {
    var at = order.indexOf(status);
    var steps = section.querySelectorAll("[data-step]");
    for (var i = 0; i < steps.length; i++) {
      var step = steps[i];
      var k = order.indexOf(step.getAttribute("data-step"));
      var done = step.querySelector(".visually-hidden");
      step.className = k < at ? "done" : k === at ? "current" : "";
      if (k === at) step.setAttribute("aria-current", "step"); else step.removeAttribute("aria-current");
      if (k < at && !done) {
        done = document.createElement("span");
        done.className = "visually-hidden";
        done.textContent = " (done)";
        step.appendChild(done);
      } else if (k >= at && done) {
        step.removeChild(done);
      }
    }
  }

  // An ending brings the player or the next step: fetch the finished page and put its parts in place, so the
  // announcement comes through the same live region and the page is not reloaded under the reader.
  function finish() {
    if (finished) return;
    finished = true;
    if (source) source.close();
    if (polling) clearInterval(polling);
    if (!window.fetch || !window.DOMParser) { window.location.reload(); return; }
    fetch(window.location.pathname, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var more = doc.getElementById("status-more");
        var h = doc.getElementById("status-heading");
        var d = doc.getElementById("status-detail");
        var s = doc.getElementById("status");
        if (!more || !h || !d || !s) throw new Error("not a recording page");
        var fresh = document.importNode(more, true);
        localTimes(fresh);
        document.getElementById("status-more").replaceWith(fresh);
        section.setAttribute("data-status", s.getAttribute("data-status"));
        heading.textContent = h.textContent;
        detail.textContent = d.textContent;
        document.title = doc.title;
        loadPlayers();
      })
      .catch(function () { window.location.reload(); });
  }

  function show(data) {
    if (!data || !data.status) return;
    if (data.delayed) { finish(); return; }
    if (data.status === current) return;
    current = data.status;
    if (data.final || order.indexOf(current) < 0) { finish(); return; }
    section.setAttribute("data-status", current);
    if (data.heading) heading.textContent = data.heading;
    if (data.detail) detail.textContent = data.detail;
    markSteps(current);
  }

  function poll() {
    if (polling || finished) return;
    polling = setInterval(function () {
      fetch(page + "/status", { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(show)
        .catch(function () {});
    }, 2000);
  }

  if (window.EventSource) {
    source = new EventSource(page + "/events");
    source.addEventListener("status", function (e) {
      try { show(JSON.parse(e.data)); } catch (err) { /* a malformed event: the next one, or polling, corrects it */ }
    });
    // CLOSED means the server refused the stream (a proxy, an old server): ask instead.
    source.onerror = function () { if (source.readyState === 2) poll(); };
  } else {
    poll();
  }
})();
