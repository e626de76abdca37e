/* Enhancements only: every screen works without this file. */
(function () {
  "use strict";

  function focusErrors() {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  function agreement() {
    var boxes = document.querySelectorAll("[data-agreement]");
    var next = document.querySelector("[data-needs-agreement]");
    if (!next || boxes.length === 0) { return; }
    function update() {
      var all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
      next.disabled = !all;
    }
    Array.prototype.forEach.call(boxes, function (b) { b.addEventListener("change", update); });
    update();
  }

  function format(seconds, lang) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return lang === "en" ? m + " min " + ss + " s" : m + "分" + ss + "秒";
  }

  function countdown() {
    var timer = document.getElementById("time-left");
    if (!timer || timer.dataset.secondsLeft === "") { return; }
    var end = Date.now() + parseInt(timer.dataset.secondsLeft, 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      timer.textContent = left > 0 ? format(left, timer.dataset.lang) : timer.dataset.expiredText;
      if (left > 0) { window.setTimeout(tick, 1000); }
    }
    tick();
  }

  function printing() {
    var button = document.querySelector("[data-print]");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrors();
    agreement();
    countdown();
    printing();
  });
}());
