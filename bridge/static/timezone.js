// Tells the bridge the browser's time zone (an IANA name such as Europe/Berlin) in the "tz"
// cookie, so its pages show times in that zone; without it (or without JavaScript) they show UTC.
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
})();
