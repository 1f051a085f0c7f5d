/* Service worker of the portal: shows Web Push notifications and opens the notifications page. */
self.addEventListener("push", (event) => {
  let data = { title: "", body: "", url: "/my/notifications/" };
  try { data = Object.assign(data, event.data ? event.data.json() : {}); } catch (e) { /* plain text */ }
  event.waitUntil(self.registration.showNotification(data.title || "お知らせ", { body: data.body, data: { url: data.url } }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow((event.notification.data && event.notification.data.url) || "/"));
});
