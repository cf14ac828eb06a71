/*
 * Liveness: when to send an echo to the peer, and whether the replies that
 * come back (or do not) mean the tunnel is up or down.  Pure state over the
 * caller's clock, so the unit tests drive it through hours in microseconds.
 */
#include <string.h>

#include "tunnel/tunnel.h"
#include "tunnel/tun_int.h"

static const char *const tun_state_names[] = {
	[TUN_STATE_UNKNOWN] = "unknown",
	[TUN_STATE_UP] = "up",
	[TUN_STATE_DOWN] = "down",
};

const char *
tun_state_name(enum tun_state s)
{
	if ((unsigned)s > TUN_STATE_DOWN)
		return ("unknown");
	return (tun_state_names[s]);
}

void
tun_live_init(struct tun_live *lv, uint64_t interval_ns, uint64_t now_ns)
{
	memset(lv, 0, sizeof(*lv));
	lv->interval_ns = interval_ns;
	lv->next_ns = now_ns;
	lv->state = TUN_STATE_UNKNOWN;
}

int
tun_live_wait_ms(const struct tun_live *lv, uint64_t now_ns)
{
	uint64_t ms;

	if (lv->interval_ns == 0)
		return (-1);
	if (lv->next_ns <= now_ns)
		return (0);
	ms = (lv->next_ns - now_ns + 999999) / 1000000;
	return (ms > 1000000 ? 1000000 : (int)ms);
}

int
tun_live_due(struct tun_live *lv, uint64_t now_ns, uint16_t *seq, int *ev)
{
	*ev = 0;
	if (lv->interval_ns == 0 || now_ns < lv->next_ns)
		return (0);
	if (lv->pending) {
		lv->missed++;
		if (lv->missed >= TUN_ECHO_MISSES &&
		    lv->state != TUN_STATE_DOWN) {
			lv->state = TUN_STATE_DOWN;
			*ev = TUN_EV_DOWN;
		}
	}
	/*
	 * Schedule from now, not from the missed deadline: after a stall
	 * (a suspended VM, say) one echo goes out, not a burst of them.
	 */
	lv->next_ns = now_ns + lv->interval_ns;
	lv->seq++;
	lv->sent++;
	lv->pending = true;
	*seq = lv->seq;
	return (1);
}

int
tun_live_reply(struct tun_live *lv, uint16_t seq)
{
	uint16_t age = (uint16_t)(lv->seq - seq);

	/*
	 * A late reply to an older echo still proves the path works, but
	 * one to an echo we never sent (before the first, or from long ago)
	 * proves nothing.
	 */
	if (lv->interval_ns == 0 || age >= TUN_ECHO_WINDOW || age >= lv->sent)
		return (-1);
	if (age == 0)
		lv->pending = false;
	lv->missed = 0;
	if (lv->state == TUN_STATE_UP)
		return (0);
	lv->state = TUN_STATE_UP;
	return (TUN_EV_UP);
}
