// Resumable uploads with tus-js-client: one tus upload per file, progress per file, automatic
// retries while the signal is gone and an immediate resume when it returns. Only the upload's
// URL is remembered on the device (and forgotten once done); never the evidence.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
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
    var producer = form.elements.producer.value.trim();
    if (!producer) { form.elements.producer.focus(); window.alert(text.producer); return; }
    document.getElementById("upload-empty").hidden = true;
    var item = template.content.firstElementChild.cloneNode(true);
    item.querySelector(".name").textContent = file.name;
    var bar = item.querySelector("progress");
    bar.setAttribute("aria-label", file.name);
    list.appendChild(item);
    item.scrollIntoView({ block: "nearest" });  // the progress is what matters now
    var metadata = { filename: file.name, case: form.dataset.case, producer: producer,
      source: form.elements.source.value };
    if (form.elements.description.value.trim()) metadata.description = form.elements.description.value.trim();
    var upload = new tus.Upload(file, {
      endpoint: form.dataset.endpoint,
      metadata: metadata,
      headers: { "X-CSRF-Token": form.dataset.csrf },
      chunkSize: 512 * 1024,
      retryDelays: RETRIES,
      removeFingerprintOnSuccess: true,
      onShouldRetry: function () { return true; },
      onProgress: function (sent, total) {
        var percent = total ? Math.floor((sent / total) * 100) : 0;
        bar.value = percent;
        item.dataset.sent = String(sent);
        say(item, navigator.onLine ? text.sending.replace("{percent}", percent) : text.waiting, "sending");
      },
      onAfterResponse: function (req, res) {
        var ref = res.getHeader("Exhibits-Ref");
        if (ref) item.dataset.ref = ref;
        var sha = res.getHeader("Exhibits-Sha256");
        if (sha) item.dataset.sha256 = sha;
      },
      onSuccess: function () {
        bar.value = 100;
        if (item.dataset.ref) say(item, text.done.replace("{ref}", item.dataset.ref), "done");
        else say(item, text.media.replace("{sha}", item.dataset.sha256 || ""), "done");
      },
      onError: function (error) {
        if (!navigator.onLine) { say(item, text.waiting, "waiting"); waiting.push(upload); return; }
        var why = (error && error.originalResponse && error.originalResponse.getBody()) || String(error);
        try { why = JSON.parse(why).detail || why; } catch (e) { /* not JSON */ }
        say(item, text.failed.replace("{why}", why), "failed");
      }
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
    window.addEventListener("offline", function () {
      if (item.dataset.state === "sending") say(item, text.waiting, "waiting");
    });
  }

  // Back online: resume anything that gave up while offline (tus asks the server where it was).
  window.addEventListener("online", function () {
    var again = waiting.splice(0);
    again.forEach(function (upload) { upload.start(); });
  });

  function chosen(event) {
    Array.prototype.forEach.call(event.target.files, start);
    event.target.value = "";
  }
  document.getElementById("f-capture").addEventListener("change", chosen);
  document.getElementById("f-files").addEventListener("change", chosen);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
})();
