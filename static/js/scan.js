// Continuous scanning on /scan: the camera reads QR labels one after another, and the tags
// a person types are sent the same way, one after another, through the page's form. Native
// BarcodeDetector where the browser has it; otherwise the vendored jsQR decoder, loaded only
// here and only then. Without this script the form is a plain form (Post/Redirect/Get).
//
// Loaded in <head>, so only by a full page load of /scan (the server answers a boosted link to
// /scan with one). It lives on while htmx boosts the next pages: it starts again when htmx
// restores /scan from its history, and stops the camera when the page is left.
(function () {
  "use strict";
  var box, video, toggle, form, input, result, stream, detector, canvas, ctx, timer, audio;
  var lastText = "", lastAt = 0, busy = false, queue = [], sequence = 0;

  function tone(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = { ok: 880, repeat: 520, unexpected: 330, unknown: 200, shipment: 660 }[kind] || 440;
      osc.type = kind === "ok" ? "sine" : "square";
      gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + (kind === "ok" ? 0.12 : 0.35));
    } catch (e) { /* no sound: the colour and text still say it */ }
    if (navigator.vibrate) {
      navigator.vibrate({ ok: 80, repeat: [60, 60, 60], unexpected: [200, 80, 200], unknown: 500, shipment: [80, 40, 80] }[kind] || 100);
    }
  }

  // Browsers start sound only after a gesture: unlock it on the first tap or key.
  function unlockSound() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
    } catch (e) { /* no sound */ }
  }

  // Every scan gets its own idempotency key: the page's key (fresh in every answer) and a
  // counter, so two tags sent before an answer comes back never share one.
  function nextKey() {
    sequence += 1;
    return form.querySelector("[name=client_event_id]").value + "-" + sequence;
  }

  // A tag to send: queued with its own key, sent one at a time, in order.
  function enqueue(text) {
    queue.push({ tag: text, key: nextKey() });
    pump();
  }

  function pump() {
    if (busy || !queue.length) { return; }
    busy = true;
    var job = queue.shift();
    var data = new FormData(form);  // the shipment as the last answer left it
    data.set("tag", job.tag);
    data.set("client_event_id", job.key);
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Target": "scan-result",
                 "X-CSRF-Token": form.querySelector("[name=csrf_token]").value }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#scan-result");
      if (!fresh) { throw new Error("no result"); }  // e.g. signed out: the login page
      show(fresh);
    }).catch(function () {
      failed(job.tag);
    }).then(function () {
      busy = false;
      pump();
    });
  }

  // The answer replaces the result's content (the live region itself stays, so screen
  // readers announce it); then keep the shipment and the page's key, and signal.
  function show(fresh) {
    result.innerHTML = fresh.innerHTML;
    ["data-kind", "data-shipment", "data-progress", "data-client-event-id"].forEach(function (name) {
      result.setAttribute(name, fresh.getAttribute(name) || "");
    });
    var shipment = result.getAttribute("data-shipment");
    if (shipment) {
      form.querySelector("[name=shipment]").value = shipment;
      var choice = document.getElementById("shipment-choice");
      var option = choice && choice.querySelector("option[value='" + shipment + "']");
      if (option) {
        choice.value = shipment;
        // The list's count follows the scans ("TAG · Korea Post · 3 of 40").
        var progress = result.getAttribute("data-progress");
        if (progress) { option.textContent = option.getAttribute("data-label") + " · " + progress; }
      }
    }
    var key = result.getAttribute("data-client-event-id");
    if (key) { form.querySelector("[name=client_event_id]").value = key; }
    var kind = result.getAttribute("data-kind");
    if (kind) { tone(kind); }
  }

  // Not sent (no connection, or the answer was not a result): show which tag, crossed, and
  // put it back in the field to send again when nothing else is being typed.
  function failed(tag) {
    var flash = document.createElement("div");
    flash.className = "scan-flash unknown";
    flash.setAttribute("role", "alert");
    flash.textContent = "\u2717 " + tag;
    result.setAttribute("data-kind", "failed");
    result.insertBefore(flash, result.firstChild);
    if (!input.value) { input.value = tag; }
    tone("unknown");
  }

  function onSubmit(event) {
    event.preventDefault();
    unlockSound();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";  // ready for the next tag while this one is on its way
    input.focus();
    enqueue(text);
  }

  // From the camera: the same label stays in view for a while; send it once.
  function scanned(text) {
    var now = Date.now();
    if (text === lastText && now - lastAt < 4000) { return; }
    lastText = text; lastAt = now;
    enqueue(text);
  }

  function loadDecoder() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(); return; }
      var script = document.createElement("script");
      script.src = box.getAttribute("data-decoder");
      script.onload = resolve; script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function readFrame() {
    if (!stream || video.readyState < 2) { return Promise.resolve(null); }
    if (detector) {
      return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
    }
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(code ? code.data : null);
  }

  function loop() {
    if (!document.body.contains(video)) { stop(); return; }  // the page was left
    readFrame().then(function (text) { if (text) { scanned(text); } })
      .catch(function () {})
      .then(function () { if (stream) { timer = setTimeout(loop, 250); } });
  }

  function start() {
    var ready = ("BarcodeDetector" in window)
      ? Promise.resolve(new window.BarcodeDetector({ formats: ["qr_code"] })).then(function (d) { detector = d; })
      : loadDecoder().then(function () { canvas = document.createElement("canvas"); ctx = canvas.getContext("2d", { willReadFrequently: true }); });
    ready.then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (s) {
      stream = s; video.hidden = false; video.srcObject = s; video.play();
      toggle.textContent = box.getAttribute("data-stop");
      loop();
    }).catch(function () {
      // No camera, or no permission: say so, and leave the typed entry.
      var note = document.createElement("p");
      note.className = "alert alert-warn";
      note.setAttribute("role", "status");
      note.setAttribute("data-camera-denied", "");
      note.textContent = box.getAttribute("data-denied");
      toggle.style.display = "none";  // not `hidden`: .button's display would win
      toggle.parentNode.insertBefore(note, toggle);
      stream = null;
    });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null; clearTimeout(timer);
    if (video) { video.hidden = true; }
    if (toggle) { toggle.textContent = box.getAttribute("data-start"); }
  }

  function init() {
    box = document.getElementById("camera");
    form = document.getElementById("scan-form");
    result = document.getElementById("scan-result");
    if (!box || !form || !result || form.getAttribute("data-ready")) { return; }
    form.setAttribute("data-ready", "1");
    input = form.querySelector("[name=tag]");
    form.addEventListener("submit", onSubmit);
    var choice = document.querySelector("[data-autosubmit]");
    if (choice) { choice.addEventListener("change", function () { choice.form.submit(); }); }
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      box.hidden = false;
      video = box.querySelector("video");
      toggle = box.querySelector("[data-camera-toggle]");
      toggle.addEventListener("click", function () {
        unlockSound();
        if (stream) { stop(); } else { start(); }
      });
    }
  }

  window.addEventListener("pagehide", stop);
  document.addEventListener("htmx:historyRestore", init);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
