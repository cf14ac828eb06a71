/*
 * The echo schedule and the up/down decisions of tunnel/tun_live.c, driven
 * by a fake clock: first echo at once, down after TUN_ECHO_MISSES silent
 * intervals, up on the next reply, late and stale replies, wrap-around.
 */
#include <stdint.h>

#include "t/tap.h"
#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

#define MS	1000000ULL
#define SEC	(1000 * MS)

/* Advances to the next due time and takes the echo; returns its seq. */
static uint16_t
tick(struct tun_live *lv, uint64_t *now, int *ev)
{
	uint16_t seq = 0;

	*now = lv->next_ns;
	if (tun_live_due(lv, *now, &seq, ev) != 1)
		return (0);
	return (seq);
}

static void
test_schedule(void)
{
	struct tun_live lv;
	uint64_t now = 5 * SEC;
	uint16_t seq = 0;
	int ev;

	tun_live_init(&lv, 2 * SEC, now);
	is_int(lv.state, TUN_STATE_UNKNOWN, "starts unknown");
	is_int(tun_live_wait_ms(&lv, now), 0, "first echo due at once");
	ok(tun_live_due(&lv, now, &seq, &ev) == 1 && seq == 1 && ev == 0,
	    "first echo: seq 1, no event");
	is_int(tun_live_due(&lv, now, &seq, &ev), 0, "nothing due right after");
	is_int(tun_live_wait_ms(&lv, now), 2000, "next in 2000 ms");
	is_int(tun_live_wait_ms(&lv, now + 1), 2000,
	    "rounded up: poll never wakes early");
	is_int(tun_live_wait_ms(&lv, now + 2 * SEC - MS), 1, "1 ms left");
	is_int(tun_live_wait_ms(&lv, now + 3 * SEC), 0, "overdue: 0");

	/* A caller that slept 10 intervals sends one echo, not ten. */
	ok(tun_live_due(&lv, now + 20 * SEC, &seq, &ev) == 1 && seq == 2,
	    "late: one echo, seq 2");
	is_int(tun_live_due(&lv, now + 20 * SEC, &seq, &ev), 0,
	    "late: nothing more due");
	is_int((long long)lv.next_ns, (long long)(now + 22 * SEC),
	    "late: rescheduled from now");

	tun_live_init(&lv, 0, now);
	is_int(tun_live_wait_ms(&lv, now), -1, "off: poll waits forever");
	is_int(tun_live_due(&lv, now + 100 * SEC, &seq, &ev), 0,
	    "off: never due");
	is_int(tun_live_reply(&lv, 1), -1, "off: replies ignored");
	is_int(lv.state, TUN_STATE_UNKNOWN, "off: stays unknown");
}

static void
test_up_down(void)
{
	struct tun_live lv;
	uint64_t now = 0;
	uint16_t seq;
	int ev, i;

	tun_live_init(&lv, SEC, now);
	seq = tick(&lv, &now, &ev);
	is_int(tun_live_reply(&lv, seq), TUN_EV_UP, "first reply: up");
	is_int(lv.state, TUN_STATE_UP, "state up");
	is_int(tun_live_reply(&lv, seq), 0, "duplicate reply: no event");

	/* The next echo, then misses short of TUN_ECHO_MISSES: not down. */
	for (i = 0; i < TUN_ECHO_MISSES; i++) {
		seq = tick(&lv, &now, &ev);
		ok(ev == 0 && lv.missed == (unsigned)i,
		    "tick %d: %d missed, no event yet", i, i);
	}
	seq = tick(&lv, &now, &ev);
	ok(ev == TUN_EV_DOWN, "after %d unanswered: down", TUN_ECHO_MISSES);
	is_int(lv.missed, TUN_ECHO_MISSES, "missed counts them");
	is_int(lv.state, TUN_STATE_DOWN, "state down");
	seq = tick(&lv, &now, &ev);
	is_int(ev, 0, "still silent: down only once");
	is_int(lv.missed, TUN_ECHO_MISSES + 1, "missed goes on counting");

	is_int(tun_live_reply(&lv, seq), TUN_EV_UP, "a reply: up again");
	is_int(lv.missed, 0, "missed reset");
	ok(!lv.pending, "the answered echo is not pending");

	/* A reply to an older echo still proves the path. */
	seq = tick(&lv, &now, &ev);
	(void)tick(&lv, &now, &ev);
	is_int(tun_live_reply(&lv, seq), 0, "late reply to the one before");
	ok(lv.pending, "the latest is still pending");
	is_int(lv.missed, 0, "late reply resets missed");

	/* Never down from unknown without TUN_ECHO_MISSES misses... */
	tun_live_init(&lv, SEC, 0);
	now = 0;
	for (i = 0; i < TUN_ECHO_MISSES; i++)
		(void)tick(&lv, &now, &ev);
	is_int(lv.state, TUN_STATE_UNKNOWN, "unknown while the first echoes "
	    "are out");
	(void)tick(&lv, &now, &ev);
	is_int(ev, TUN_EV_DOWN, "...then down: the tunnel never came up");
}

static void
test_stale(void)
{
	struct tun_live lv;
	uint64_t now = 0;
	uint16_t seq;
	int ev, i;

	tun_live_init(&lv, SEC, now);
	is_int(tun_live_reply(&lv, 0), -1, "reply before any echo: ignored");
	is_int(tun_live_reply(&lv, 1), -1, "reply to seq 1 before it left");
	seq = tick(&lv, &now, &ev);
	is_int(tun_live_reply(&lv, (uint16_t)(seq + 1)), -1,
	    "reply to a future seq: ignored");
	is_int(lv.state, TUN_STATE_UNKNOWN, "still unknown");

	for (i = 0; i < TUN_ECHO_WINDOW + 3; i++)
		(void)tick(&lv, &now, &ev);
	is_int(tun_live_reply(&lv, seq), -1, "reply older than the window: "
	    "ignored");
	is_int(tun_live_reply(&lv, (uint16_t)(lv.seq - TUN_ECHO_WINDOW + 1)),
	    TUN_EV_UP, "oldest reply inside the window counts");

	/* Sequence numbers wrap after 65535 echoes. */
	tun_live_init(&lv, SEC, 0);
	lv.seq = 65534;
	lv.sent = 100000;
	now = 0;
	seq = tick(&lv, &now, &ev);
	is_int(seq, 65535, "seq 65535");
	seq = tick(&lv, &now, &ev);
	is_int(seq, 0, "then 0");
	is_int(tun_live_reply(&lv, 65535), TUN_EV_UP,
	    "reply to 65535 after the wrap counts");
	is_int(tun_live_reply(&lv, 0), 0, "and to 0");
	ok(!lv.pending, "nothing pending");
}

static void
test_names(void)
{
	is_str(tun_state_name(TUN_STATE_UNKNOWN), "unknown", "name unknown");
	is_str(tun_state_name(TUN_STATE_UP), "up", "name up");
	is_str(tun_state_name(TUN_STATE_DOWN), "down", "name down");
	is_str(tun_state_name((enum tun_state)42), "unknown",
	    "out of range: unknown");
}

int
main(void)
{
	test_schedule();
	test_up_down();
	test_stale();
	test_names();
	return (done_testing());
}
