// Print and copy buttons for recovery codes; the page works without them (download, select).
document.querySelectorAll("[data-action]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => {
    if (button.dataset.action === "print") {
      window.print();
    } else {
      const text = document.getElementById(button.dataset.target).value;
      navigator.clipboard.writeText(text).then(() => { button.textContent = button.dataset.copied || "Copied"; });
    }
  });
});
