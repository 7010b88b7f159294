// Public portal uploads: one tus upload per file to this submission's own address (the token in
// it is the only credential), progress per file, and automatic resumption after a lost signal.
// The server answers the last piece with the file's SHA-256, shown at once as a first receipt.
"use strict";
(function () {
  var form = document.getElementById("portal-upload");
  if (!form || !window.tus) return;
  var list = document.getElementById("upload-list");
  var template = document.getElementById("upload-item");
  var text = document.getElementById("upload-text").dataset;
  var RETRIES = [0, 1000, 2000, 3000, 5000, 5000, 10000, 10000, 15000, 20000, 30000, 30000, 60000];
  var waiting = [];

  function say(item, message, state) {
    item.querySelector(".state").textContent = message;
    item.dataset.state = state;
  }

  function start(file) {
    var item = template.content.firstElementChild.cloneNode(true);
    item.querySelector(".name").textContent = file.name;
    var bar = item.querySelector("progress");
    bar.setAttribute("aria-label", file.name);
    list.appendChild(item);
    var upload = new tus.Upload(file, {
      endpoint: form.dataset.endpoint,
      metadata: { filename: file.name },
      chunkSize: 512 * 1024,
      retryDelays: RETRIES,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: false,
      onShouldRetry: function (error) {
        var status = error && error.originalResponse ? error.originalResponse.getStatus() : 0;
        return !(status === 413 || status === 415 || status === 404 || status === 422);
      },
      onProgress: function (sent, total) {
        var percent = total ? Math.floor((sent / total) * 100) : 0;
        bar.value = percent;
        say(item, navigator.onLine ? text.sending.replace("{percent}", percent) : text.waiting, "sending");
      },
      onAfterResponse: function (req, res) {
        var sha = res.getHeader("Exhibits-Sha256");
        if (sha) item.dataset.sha256 = sha;
      },
      onSuccess: function () {
        bar.value = 100;
        say(item, text.done.replace("{sha}", item.dataset.sha256 || ""), "done");
      },
      onError: function (error) {
        if (!navigator.onLine) { say(item, text.waiting, "waiting"); waiting.push(upload); return; }
        var why = (error && error.originalResponse && error.originalResponse.getBody()) || String(error);
        try { why = JSON.parse(why).detail || why; } catch (e) { /* not JSON */ }
        say(item, text.failed.replace("{why}", why), "failed");
      }
    });
    upload.start();
  }

  window.addEventListener("online", function () {
    waiting.splice(0).forEach(function (upload) { upload.start(); });
  });
  document.getElementById("f-files").addEventListener("change", function (event) {
    Array.prototype.forEach.call(event.target.files, start);
    event.target.value = "";
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
})();
