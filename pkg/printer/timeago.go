package printer

import (
	"fmt"
	"time"
)

// TimeAgo describes t relative to now for people: "3 minutes ago", "in 2 days".
func TimeAgo(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in " + span(-d)
	}
	if d < time.Minute {
		return "less than a minute ago"
	}
	return span(d) + " ago"
}

// span names a duration in its largest whole unit.
func span(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < day:
		return plural(int(d/time.Hour), "hour")
	case d < 30*day:
		return plural(int(d/day), "day")
	case d < 365*day:
		return plural(int(d/(30*day)), "month")
	default:
		return plural(int(d/(365*day)), "year")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Time formats t for a Column with Time set: RFC 3339 in UTC, "" for the zero time.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// TimePtr is Time for an optional time; nil is "".
func TimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return Time(*t)
}
