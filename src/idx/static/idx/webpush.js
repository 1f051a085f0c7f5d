/* Progressive enhancement on the notification settings page: a button to receive notifications
   in this browser (Web Push). Without JavaScript or push support the button stays hidden. */
(function () {
  const button = document.getElementById("webpush-enable");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const key = button.dataset.key;
  const status = document.getElementById("webpush-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  function toBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      const registration = await navigator.serviceWorker.register("/sw.js");
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: toBytes(key) });
      const response = await fetch(button.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify(subscription.toJSON()),
        credentials: "same-origin",
      });
      status.textContent = response.ok ? button.dataset.done : button.dataset.failed;
    } catch (error) {
      status.textContent = button.dataset.failed;
    }
  });
})();
