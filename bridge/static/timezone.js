// Tells the bridge the browser's time zone (an IANA name such as Europe/Berlin) in the "tz"
// cookie, so its pages show times in that zone; without it (or without JavaScript) they show UTC.
// A page written in another zone (the first page, before the cookie was set) has its times
// rewritten here, in the browser's zone, in the layout the server wrote them in: every
// <time datetime data-format data-zone> names its zone, so a time is never silently UTC.
(function () {
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-]+(\/[A-Za-z0-9_+\-]+)*$/.test(zone) || zone.length > 64) {
    return;
  }
  if (document.cookie.split("; ").indexOf("tz=" + zone) === -1) {
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = "tz=" + zone + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
  }

  const fields = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });

  function inZone(time) {
    const at = new Date(time.dateTime);
    if (isNaN(at.getTime())) {
      return;
    }
    const part = {};
    for (const p of fields.formatToParts(at)) {
      part[p.type] = p.value;
    }
    const field = {
      yyyy: part.year, MM: part.month, dd: part.day, HH: part.hour, mm: part.minute, ss: part.second,
    };
    const text = time.dataset.format.replace(/yyyy|MM|dd|HH|mm|ss/g, (name) => field[name]);
    time.textContent = text.replace("{zone}", zone);
    time.dataset.zone = zone;
  }

  for (const time of document.querySelectorAll("time[datetime][data-format]")) {
    if (time.dataset.zone !== zone) {
      inZone(time);
    }
  }
})();
