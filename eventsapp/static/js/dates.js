/* Dates typed in forms read the same in every browser: a date field shows its value as the browser's
   language writes it (02/03/2027 is 3 February or 2 March?), so each date or date-and-time field gets
   its value in words, in the page's language, right below it ("Thứ Tư, 3 tháng 2, 2027"). */
(() => {
  const language = document.documentElement.lang || "vi";

  function words(input) {
    const value = input.value;
    if (!value) return "";
    const [day, time] = value.split("T");
    const [y, m, d] = day.split("-").map(Number);
    const [hh, mm] = (time || "0:0").split(":").map(Number);
    const moment = new Date(y, m - 1, d, hh, mm);
    if (Number.isNaN(moment.getTime())) return "";
    const date = new Intl.DateTimeFormat(language, { weekday: "long", day: "numeric", month: "long", year: "numeric" })
      .format(moment);
    if (!time) return date;
    // As the app writes a moment elsewhere (timefmt.moment_text): the day, then the time.
    return `${date}, ${new Intl.DateTimeFormat(language, { hour: "numeric", minute: "2-digit" }).format(moment)}`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[type=date], input[type=datetime-local]").forEach((input) => {
      const note = document.createElement("div");
      note.className = "form-text date-in-words";
      note.dataset.dateWords = "";
      note.setAttribute("aria-live", "polite");
      if (input.id) note.id = `${input.id}-in-words`;
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
      const show = () => { note.textContent = words(input); };
      input.addEventListener("input", show);
      input.addEventListener("change", show);
      show();
      input.after(note);
    });
  });
})();
