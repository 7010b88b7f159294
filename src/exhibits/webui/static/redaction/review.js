// Redaction review: draws the set's masks over the playing clip (or the picture), and lets a
// reviewer drag a box to fill the "add a box" form. Everything also works without this file:
// the forms take typed numbers, and the table lists every item.
(function () {
  "use strict";
  var stage = document.getElementById("redaction-stage");
  var data = document.getElementById("redaction-items");
  if (stage && stage.dataset.aspect) {
    // Hold the picture's place before the clip loads (no layout shift); same shape, so the
    // overlay's fractions still match the picture.
    stage.style.aspectRatio = stage.dataset.aspect.replace("/", " / ");
    stage.classList.add("sized");
  }
  if (!stage || !data) return;
  var media = stage.querySelector("video, img");
  var canvas = stage.querySelector("canvas");
  if (!media || !canvas) return;
  var items = JSON.parse(data.textContent || "[]");
  var ctx = canvas.getContext("2d");
  var drawn = null; // the box being drawn: {x, y, w, h} in fractions
  var COLOURS = { proposed: "#b35900", accepted: "#000000", rejected: "#6b6b6b", kept: "#0b5cad" };

  function now() {
    return media.tagName === "VIDEO" ? media.currentTime : 0;
  }

  // Linear between keyframes [t, x, y, w, h], as the renderer does (redaction/domain.py).
  function boxAt(geometry, t) {
    if (t < geometry.start - 1e-6 || t > geometry.end + 1e-6) return null;
    var k = geometry.keyframes;
    if (t <= k[0][0]) return k[0].slice(1);
    for (var i = 1; i < k.length; i++) {
      if (t <= k[i][0]) {
        var a = k[i - 1], b = k[i];
        var f = b[0] > a[0] ? (t - a[0]) / (b[0] - a[0]) : 0;
        return [1, 2, 3, 4].map(function (j) { return a[j] + (b[j] - a[j]) * f; });
      }
    }
    return k[k.length - 1].slice(1);
  }

  function boxesNow() {
    var t = now(), out = [];
    items.forEach(function (item) {
      var g = item.geometry, box = null;
      if (item.kind === "track") box = boxAt(g, t);
      else if (item.kind === "region" && !g.page) box = g.box;
      if (box) out.push({ item: item, box: box, shape: g.shape });
    });
    return out;
  }

  function size() {
    var w = media.clientWidth, h = media.clientHeight;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    return [w, h];
  }

  function shape(box, w, h, kind) {
    ctx.beginPath();
    if (kind === "ellipse") {
      ctx.ellipse((box[0] + box[2] / 2) * w, (box[1] + box[3] / 2) * h, (box[2] / 2) * w, (box[3] / 2) * h, 0, 0, 2 * Math.PI);
    } else {
      ctx.rect(box[0] * w, box[1] * h, box[2] * w, box[3] * h);
    }
  }

  function draw() {
    var wh = size(), w = wh[0], h = wh[1];
    ctx.clearRect(0, 0, w, h);
    boxesNow().forEach(function (b) {
      var state = b.item.state, colour = COLOURS[state] || "#000";
      if (state === "rejected") return; // a false detection is not a mask
      shape(b.box, w, h, b.shape);
      if (state === "accepted") {
        ctx.fillStyle = "rgba(0,0,0,0.75)";
        ctx.fill();
      }
      ctx.setLineDash(state === "proposed" ? [6, 4] : []);
      ctx.lineWidth = 3;
      ctx.strokeStyle = colour;
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = "bold 14px sans-serif";
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(b.box[0] * w, b.box[1] * h, 26, 18);
      ctx.fillStyle = colour;
      ctx.fillText(String(b.item.number), b.box[0] * w + 4, b.box[1] * h + 14);
    });
    if (drawn) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#ffdd00";
      ctx.strokeRect(drawn.x * w, drawn.y * h, drawn.w * w, drawn.h * h);
    }
  }

  function loop() {
    draw();
    if (media.tagName === "VIDEO" && !media.paused && !media.ended) window.requestAnimationFrame(loop);
  }

  ["play", "seeked", "timeupdate", "loadeddata", "load"].forEach(function (name) {
    media.addEventListener(name, loop);
  });
  window.addEventListener("resize", draw);

  // Drawing a box fills the add form: x, y, w, h as fractions and the time it was drawn at.
  var start = null;
  function point(event) {
    var r = canvas.getBoundingClientRect();
    return [
      Math.min(1, Math.max(0, (event.clientX - r.left) / r.width)),
      Math.min(1, Math.max(0, (event.clientY - r.top) / r.height)),
    ];
  }
  canvas.addEventListener("pointerdown", function (event) {
    if (media.tagName === "VIDEO") media.pause();
    start = point(event);
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!start) return;
    var p = point(event);
    drawn = {
      x: Math.min(start[0], p[0]), y: Math.min(start[1], p[1]),
      w: Math.abs(p[0] - start[0]), h: Math.abs(p[1] - start[1]),
    };
    draw();
  });
  canvas.addEventListener("pointerup", function () {
    start = null;
    if (!drawn || drawn.w < 0.005 || drawn.h < 0.005) return;
    var form = document.getElementById("add-box");
    if (!form) return;
    form.elements.box.value = [drawn.x, drawn.y, drawn.w, drawn.h].map(function (v) { return v.toFixed(4); }).join(",");
    if (form.elements.at) form.elements.at.value = now().toFixed(2);
    form.elements.box.focus();
  });

  // "Show" buttons seek the clip to an item and the "at" field follows the playhead.
  document.querySelectorAll("[data-seek]").forEach(function (button) {
    button.hidden = media.tagName !== "VIDEO";
    button.addEventListener("click", function () {
      media.currentTime = parseFloat(button.getAttribute("data-seek"));
      media.scrollIntoView({ block: "nearest" });
    });
  });
  draw();
})();
