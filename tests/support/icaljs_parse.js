// Parse an iCalendar text (stdin) with ical.js, the parser behind Thunderbird, and print JSON:
// {calendars: [{method, name, events: [{uid, summary, status, start, end, startZone, allDay}]}]}
// Each VTIMEZONE is registered with ICAL.TimezoneService first, so TZID times resolve.
"use strict";

// Wall time of a Date in this process's zone (set TZ=Europe/Prague to view from Prague).
function localIso(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

async function main() {
  const ICAL = (await import("ical.js")).default;
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  const parsed = ICAL.parse(text);
  const roots = Array.isArray(parsed[0]) ? parsed : [parsed];
  const calendars = roots.map((jcal) => {
    const calendar = new ICAL.Component(jcal);
    for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(vtimezone);
    }
    const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      return {
        uid: event.uid,
        summary: event.summary,
        status: vevent.getFirstPropertyValue("status"),
        sequence: event.sequence,
        start: event.startDate.toJSDate().toISOString(),
        end: event.endDate.toJSDate().toISOString(),
        startLocal: localIso(event.startDate.toJSDate()),
        endLocal: localIso(event.endDate.toJSDate()),
        startZone: event.startDate.zone ? event.startDate.zone.tzid : null,
        allDay: event.startDate.isDate,
        startDate: event.startDate.isDate ? event.startDate.toString() : null,
        endDate: event.endDate.isDate ? event.endDate.toString() : null,
        location: event.location,
        description: event.description,
        url: vevent.getFirstPropertyValue("url"),
        organizer: vevent.getFirstPropertyValue("organizer"),
        attendees: vevent.getAllProperties("attendee").map((p) => p.getFirstValue()),
      };
    });
    return {
      method: calendar.getFirstPropertyValue("method"),
      name: calendar.getFirstPropertyValue("x-wr-calname") || calendar.getFirstPropertyValue("name"),
      timezones: calendar.getAllSubcomponents("vtimezone").map((tz) => tz.getFirstPropertyValue("tzid")),
      events,
    };
  });
  process.stdout.write(JSON.stringify({ calendars }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
