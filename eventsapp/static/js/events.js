/* Public event page: show the time in the reader's own zone too (reloads once with ?tz=<IANA zone>). */
document.addEventListener("DOMContentLoaded", () => {
  const article = document.getElementById("public-event");
  if (!article || article.dataset.readerZone) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone || zone === article.dataset.eventZone) return;
  const url = new URL(window.location.href);
  if (url.searchParams.has("tz")) return;
  url.searchParams.set("tz", zone);
  window.location.replace(url.toString());
});
