/* The Markdown description fields (textarea[data-markdown]): a small toolbar (bold, list, link) and a
   preview rendered by the server exactly as the pages show it (POST {text} to the preview URL).
   Words and the URL come from #markdown-editor (templates/_macros.html markdown_editor). */
(() => {
  function wrapSelection(box, before, after, sample) {
    const { selectionStart: start, selectionEnd: end, value } = box;
    const chosen = value.slice(start, end) || sample;
    box.setRangeText(`${before}${chosen}${after}`, start, end, "end");
    box.setSelectionRange(start + before.length, start + before.length + chosen.length);
  }

  function listLines(box) {
    const { value } = box;
    // From the start of the first chosen line to the end of the last one.
    const start = value.lastIndexOf("\n", box.selectionStart - 1) + 1;
    let end = value.indexOf("\n", Math.max(box.selectionEnd - 1, start));
    if (end === -1) end = value.length;
    const lines = value.slice(start, end).split("\n").map((line) => (line.startsWith("- ") ? line : `- ${line}`));
    box.setRangeText(lines.join("\n"), start, end, "select");
  }

  function button(label, text) {
    const el = document.createElement("button");
    el.type = "button";
    el.className = "btn btn-outline-secondary btn-sm";
    el.setAttribute("aria-label", label);
    el.title = label;
    el.textContent = text;
    return el;
  }

  function enhance(box, words) {
    const bar = document.createElement("div");
    bar.className = "btn-toolbar gap-1 mb-1 flex-wrap";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", words.labelToolbar);
    bar.setAttribute("aria-controls", box.id);
    bar.dataset.markdownToolbar = "";
    const bold = button(words.labelBold, "B");
    bold.classList.add("fw-bold");
    const list = button(words.labelList, `• ${words.labelList}`);
    const link = button(words.labelLink, words.labelLink);
    link.classList.add("text-decoration-underline");
    const preview = button(words.labelPreview, words.labelPreview);
    preview.classList.add("ms-auto");
    const edit = button(words.labelEdit, words.labelEdit);
    edit.classList.add("ms-auto");
    edit.hidden = true;
    bar.append(bold, list, link, preview, edit);
    const shown = document.createElement("div");
    shown.className = "border rounded p-2 bg-white markdown-preview";
    shown.dataset.markdownPreviewBox = "";
    shown.setAttribute("aria-live", "polite");
    shown.hidden = true;
    box.before(bar);
    box.after(shown);

    const changed = () => box.dispatchEvent(new Event("input", { bubbles: true }));
    bold.addEventListener("click", () => { wrapSelection(box, "**", "**", words.labelBoldSample); box.focus(); changed(); });
    list.addEventListener("click", () => { listLines(box); box.focus(); changed(); });
    link.addEventListener("click", () => {
      const address = window.prompt(words.labelLinkAsk, "https://");
      if (!address || address === "https://") return;
      wrapSelection(box, "[", `](${address.trim()})`, words.labelLinkSample);
      box.focus();
      changed();
    });
    const toggle = (previewing) => {
      box.hidden = previewing;
      shown.hidden = !previewing;
      [bold, list, link, preview].forEach((el) => { el.hidden = previewing; });
      edit.hidden = !previewing;
    };
    preview.addEventListener("click", () => {
      const token = box.form && box.form.querySelector("input[name=csrf_token]");
      fetch(words.previewUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify({ text: box.value }),
      })
        .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
        .then(({ ok, body }) => {
          if (!ok) { shown.textContent = (body.error && body.error.message) || words.labelFailed; }
          // The server's HTML is sanitised (nh3, the pages' own rules).
          else if (body.html) { shown.innerHTML = body.html; }
          else { shown.textContent = words.labelEmpty; }
          toggle(true);
        })
        .catch(() => { shown.textContent = words.labelFailed; toggle(true); });
    });
    edit.addEventListener("click", () => { toggle(false); box.focus(); });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const words = document.getElementById("markdown-editor");
    if (!words) return;
    document.querySelectorAll("textarea[data-markdown]").forEach((box) => enhance(box, words.dataset));
  });
})();
