/* Time-zone pickers (select[data-zone-picker]): a search box above the list that keeps the options whose
   label contains every typed word, without diacritics ("nhat", "tokyo", "utc+9"). */
(function () {
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/gi, "d").toLowerCase();
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("select[data-zone-picker]").forEach((select) => {
      const box = document.createElement("input");
      box.type = "search";
      box.className = "form-control form-control-sm mb-1";
      box.placeholder = select.dataset.searchLabel || "…";
      box.setAttribute("aria-label", select.dataset.searchLabel || "");
      box.setAttribute("aria-controls", select.id);
      select.before(box);
      const options = Array.from(select.options).map((option) => [option, fold(option.text + " " + option.value)]);
      box.addEventListener("input", () => {
        const words = fold(box.value).split(/\s+/).filter(Boolean);
        let first = null;
        options.forEach(([option, text]) => {
          const shown = words.every((word) => text.includes(word));
          option.hidden = !shown;
          if (shown && !first) first = option;
        });
        if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) select.value = first.value;
      });
    });
  });
})();
