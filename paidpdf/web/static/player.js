/* Resume where you stopped: each audio and video player of the library remembers its position in
   this browser's localStorage, per reader, file and version (the data-resume key), and starts there
   next time. Nothing is sent to the shop: see docs/formats.md, "Playback". */
(function () {
  "use strict";
  var players = document.querySelectorAll("audio[data-resume], video[data-resume]");
  Array.prototype.forEach.call(players, function (el) {
    var key = "paidpdf:position:" + el.getAttribute("data-resume");
    var saved = 0;
    var last = 0;
    try { saved = parseFloat(window.localStorage.getItem(key) || "0") || 0; } catch (e) { saved = 0; }
    function restore() {
      if (saved > 1 && (!isFinite(el.duration) || saved < el.duration - 1)) { el.currentTime = saved; }
      el.setAttribute("data-restored", String(saved));
    }
    function save(force) {
      var now = Date.now();
      if (!force && now - last < 1000) { return; }
      last = now;
      try {
        if (el.ended) { window.localStorage.removeItem(key); }
        else if (el.currentTime > 0) { window.localStorage.setItem(key, String(Math.floor(el.currentTime))); }
      } catch (e) { /* storage full or blocked: playback still works, it just starts at 0 next time */ }
    }
    if (el.readyState >= 1) { restore(); } else { el.addEventListener("loadedmetadata", restore, { once: true }); }
    el.addEventListener("timeupdate", function () { save(false); });
    el.addEventListener("pause", function () { save(true); });
    el.addEventListener("seeked", function () { save(true); });
    el.addEventListener("ended", function () { save(true); });
    window.addEventListener("pagehide", function () { save(true); });
  });
}());
