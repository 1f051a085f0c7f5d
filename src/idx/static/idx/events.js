/* Check-in at the door: scan a registration's QR code with the phone's camera (BarcodeDetector)
   and send its code. Pure enhancement: without it (or without a camera) staff type the code. */
(function () {
  "use strict";
  var section = document.getElementById("camera");
  var form = document.getElementById("check-in-form");
  if (!section || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  section.hidden = false;
  var video = document.getElementById("camera-video");
  var status = document.getElementById("camera-status");
  var input = document.getElementById("id_code");
  document.getElementById("camera-start").addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      status.textContent = section.getAttribute("data-scan-label");
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            input.value = codes[0].rawValue;
            form.submit();
          } else {
            window.setTimeout(look, 250);
          }
        }).catch(function () { window.setTimeout(look, 500); });
      };
      look();
    }).catch(function () { section.hidden = true; input.focus(); });
  });
})();
