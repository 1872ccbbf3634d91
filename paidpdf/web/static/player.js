/* Resume where you stopped, on any device: each audio and video player of the library starts where
   the reader stopped last, in this browser or another one. The shop keeps the position per reader,
   item, file and version (POST <file URL>/position, at most every 10 s while playing, and on pause and
   on leaving the page with navigator.sendBeacon); the page hands the stored positions over in
   #player-state's data-positions, keyed like each player's data-resume. localStorage keeps a copy for
   when the shop cannot be reached: a copy the shop never confirmed wins when it is newer.
   See docs/formats.md, "Playback". */
(function () {
  "use strict";
  var SEND_EVERY = 10000;
  var state = document.getElementById("player-state");
  var csrf = state ? state.getAttribute("data-csrf") || "" : "";
  var remembered = {};
  try { remembered = JSON.parse((state && state.getAttribute("data-positions")) || "{}") || {}; } catch (e) { remembered = {}; }

  function readLocal(key) {
    var raw = null;
    try { raw = window.localStorage.getItem(key); } catch (e) { return null; }
    if (raw === null) { return null; }
    try {
      var kept = JSON.parse(raw);
      if (typeof kept === "number") { return { p: kept, t: 0, s: true }; }  /* the old format: a number */
      if (kept && typeof kept.p === "number") { return kept; }
    } catch (e) { /* unreadable: ignored */ }
    return null;
  }

  function writeLocal(key, kept) {
    try { window.localStorage.setItem(key, JSON.stringify(kept)); } catch (e) { /* full or blocked */ }
  }

  var players = document.querySelectorAll("audio[data-resume], video[data-resume]");
  Array.prototype.forEach.call(players, function (el) {
    var resume = el.getAttribute("data-resume");
    var version = resume.split(":").pop();
    var url = el.getAttribute("src") + "/position";
    var key = "paidpdf:position:" + resume;
    var server = remembered[resume] || null;
    var local = readLocal(key);
    /* the shop's copy, unless this browser holds a newer one it never got through to the shop */
    var start = server ? { p: server.position, t: server.at_ms, s: true } : local;
    if (local && !local.s && (!server || local.t > server.at_ms)) { start = local; }
    var lastSent = 0;
    var lastValue = start && start.s ? start.p : -1;

    function restore() {
      var saved = start ? start.p : 0;
      if (saved > 1 && (!isFinite(el.duration) || saved < el.duration - 1)) { el.currentTime = saved; }
      el.setAttribute("data-restored", String(saved));
      if (start && !start.s) { send(start.p, false, start); }  /* catch the shop up */
    }

    function body(seconds) {
      var data = new URLSearchParams();
      data.set("csrf_token", csrf);
      data.set("version", version);
      data.set("position", seconds.toFixed(1));
      if (isFinite(el.duration) && el.duration > 0) { data.set("duration", el.duration.toFixed(1)); }
      return data;
    }

    function send(seconds, leaving, kept) {
      if (!csrf) { return; }
      lastSent = Date.now();
      lastValue = seconds;
      var data = body(seconds);
      if (leaving && navigator.sendBeacon) {
        if (navigator.sendBeacon(url, data)) { kept.s = true; writeLocal(key, kept); }
        return;
      }
      window.fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true })
        .then(function (answer) {
          if (answer.ok) { kept.s = true; writeLocal(key, kept); }
        })
        .catch(function () { /* offline: the local copy is sent next time */ });
    }

    function save(force, leaving) {
      var seconds = el.ended ? 0 : Math.min(el.currentTime, isFinite(el.duration) ? el.duration : el.currentTime);
      if (!(seconds >= 0)) { return; }
      var kept = { p: Math.floor(seconds * 10) / 10, t: Date.now(), s: false };
      if (Math.abs(kept.p - lastValue) < 1) { return; }  /* nothing new to keep */
      writeLocal(key, kept);
      if (!force && Date.now() - lastSent < SEND_EVERY) { return; }
      send(kept.p, leaving, kept);
    }

    if (el.readyState >= 1) { restore(); } else { el.addEventListener("loadedmetadata", restore, { once: true }); }
    el.addEventListener("timeupdate", function () { save(false, false); });
    el.addEventListener("pause", function () { save(true, false); });
    el.addEventListener("ended", function () { save(true, false); });
    el.addEventListener("seeked", function () { save(el.paused, false); });
    window.addEventListener("pagehide", function () { save(true, true); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { save(true, true); }
    });
  });
}());
