// Continuous scanning on /scan: the camera reads QR labels one after another and each one is
// submitted through the same form a person would use. Native BarcodeDetector where the
// browser has it; otherwise the vendored jsQR decoder, loaded only here and only then.
(function () {
  "use strict";
  var box, video, toggle, form, stream, detector, canvas, ctx, timer;
  var lastText = "", lastAt = 0, busy = false;

  function tone(kind) {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
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

  function submit(text) {
    var now = Date.now();
    if (busy || (text === lastText && now - lastAt < 4000)) { return; }
    lastText = text; lastAt = now; busy = true;
    form.querySelector("[name=tag]").value = text;
    var data = new FormData(form);
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Target": "scan-result",
                 "X-CSRF-Token": form.querySelector("[name=csrf_token]").value }
    }).then(function (r) { return r.text(); }).then(function (html) {
      var old = document.getElementById("scan-result");
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#scan-result");
      if (old && fresh) { old.replaceWith(fresh); after(fresh); }
      form.querySelector("[name=tag]").value = "";
    }).catch(function () { tone("unknown"); }).then(function () { busy = false; });
  }

  // After every answer (fetch or htmx): keep the shipment and a fresh idempotency key, signal.
  function after(result) {
    if (!result) { return; }
    var shipment = result.getAttribute("data-shipment");
    if (shipment) { form.querySelector("[name=shipment]").value = shipment; }
    var key = result.getAttribute("data-client-event-id");
    if (key) { form.querySelector("[name=client_event_id]").value = key; }
    var kind = result.getAttribute("data-kind");
    if (kind) { tone(kind); }
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
    readFrame().then(function (text) { if (text) { submit(text); } })
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
      toggle.disabled = true;
      toggle.textContent = box.getAttribute("data-denied");
    });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null; clearTimeout(timer); video.hidden = true;
    toggle.textContent = box.getAttribute("data-start");
  }

  document.addEventListener("DOMContentLoaded", function () {
    box = document.getElementById("camera");
    form = document.getElementById("scan-form");
    if (!box || !form) { return; }
    var choice = document.querySelector("[data-autosubmit]");
    if (choice) { choice.addEventListener("change", function () { choice.form.submit(); }); }
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      box.hidden = false;
      video = box.querySelector("video");
      toggle = box.querySelector("[data-camera-toggle]");
      toggle.addEventListener("click", function () { if (stream) { stop(); } else { start(); } });
    }
    document.body.addEventListener("htmx:afterSettle", function (event) {
      var config = event.detail.requestConfig;
      if (config && config.elt === form) {
        after(document.getElementById("scan-result"));
        form.querySelector("[name=tag]").value = "";
        form.querySelector("[name=tag]").focus();
      }
    });
  });
})();
