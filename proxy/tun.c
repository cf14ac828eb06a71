/*
 * The proxy's side of the tunnel: bringing it up at start, the log lines
 * for its events, and the counters line that SIGUSR2 asks for.  The tunnel
 * itself never prints; everything an operator reads about it is here.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include "proxy/proxy.h"
#include "tunnel/tunnel.h"

/* "30s", "10m", "1h30m"-free: the largest unit that divides evenly. */
static void
px_tun_dur(uint64_t ms, char *buf, size_t len)
{
	if (ms % 3600000 == 0)
		(void)snprintf(buf, len, "%" PRIu64 "h", ms / 3600000);
	else if (ms % 60000 == 0)
		(void)snprintf(buf, len, "%" PRIu64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		(void)snprintf(buf, len, "%" PRIu64 "s", ms / 1000);
	else
		(void)snprintf(buf, len, "%" PRIu64 "ms", ms);
}

/*
 * One line per update.  What the operator must fix (credentials, the
 * tunnel id) is err; what may pass by itself (HTTP, network) is warning.
 */
static void
px_tun_update(const struct tun_event *ev)
{
	char d[32];

	px_tun_dur(ev->next_ms, d, sizeof(d));
	switch (ev->upd) {
	case TUN_UPD_GOOD:
		px_log(CONF_LOG_NOTICE, "tunnel %s: endpoint update: %s",
		    ev->ifname, ev->msg);
		break;
	case TUN_UPD_NOCHG:
		px_log(CONF_LOG_INFO, "tunnel %s: endpoint update: %s",
		    ev->ifname, ev->msg);
		break;
	case TUN_UPD_BADAUTH:
		px_log(CONF_LOG_ERR, "tunnel %s: endpoint update: badauth "
		    "(check username and password_file; HTTP %d); retrying "
		    "in %s",
		    ev->ifname, ev->status, d);
		break;
	case TUN_UPD_NOHOST:
		px_log(CONF_LOG_ERR, "tunnel %s: endpoint update: nohost "
		    "(check the tunnel id in url); retrying in %s", ev->ifname,
		    d);
		break;
	case TUN_UPD_ABUSE:
		px_log(CONF_LOG_ERR, "tunnel %s: endpoint update: abuse (the "
		    "broker blocked updates; retrying in %s)", ev->ifname, d);
		break;
	case TUN_UPD_BROKER:
		px_log(CONF_LOG_ERR, "tunnel %s: endpoint update: %s; retrying "
		    "in %s", ev->ifname, ev->msg, d);
		break;
	case TUN_UPD_OTHER:
		px_log(CONF_LOG_WARNING, "tunnel %s: endpoint update: "
		    "unexpected answer \"%s\"; retrying in %s", ev->ifname,
		    ev->msg, d);
		break;
	case TUN_UPD_HTTP:
		px_log(CONF_LOG_WARNING, "tunnel %s: endpoint update: HTTP %d "
		    "\"%s\"; retrying in %s", ev->ifname, ev->status,
		    ev->msg, d);
		break;
	case TUN_UPD_MALFORMED:
		px_log(CONF_LOG_WARNING, "tunnel %s: endpoint update: bad "
		    "answer: %s; retrying in %s", ev->ifname, ev->msg, d);
		break;
	default:
		px_log(CONF_LOG_WARNING, "tunnel %s: endpoint update: %s; "
		    "retrying in %s", ev->ifname, ev->msg, d);
		break;
	}
}

/* Runs on the data-plane or update thread: px_log is thread-safe. */
static void
px_tun_event(const struct tun_event *ev, void *arg)
{
	switch (ev->kind) {
	case TUN_EV_UP:
		px_log(CONF_LOG_NOTICE, "tunnel %s: up (echo reply in %.3f ms)",
		    ev->ifname, (double)ev->rtt_ns / 1e6);
		break;
	case TUN_EV_DOWN:
		px_log(CONF_LOG_WARNING, "tunnel %s: down (%u echoes to the "
		    "peer unanswered)", ev->ifname, ev->missed);
		break;
	case TUN_EV_ERROR:
		if (ev->suppressed > 0)
			px_log(CONF_LOG_WARNING, "tunnel %s: %s (and %" PRIu64
			    " more errors since the last report)", ev->ifname,
			    ev->msg, ev->suppressed);
		else
			px_log(CONF_LOG_WARNING, "tunnel %s: %s", ev->ifname,
			    ev->msg);
		break;
	case TUN_EV_UPDATE:
		px_tun_update(ev);
		break;
	case TUN_EV_MTU:
		if (ev->path_mtu != 0)
			px_log(CONF_LOG_NOTICE, "tunnel %s: path MTU to %s is "
			    "%u: inner MTU %u (was %u)", ev->ifname,
			    ev->remote, ev->path_mtu, ev->mtu, ev->old_mtu);
		else
			px_log(CONF_LOG_NOTICE, "tunnel %s: path MTU estimate "
			    "expired: inner MTU %u again (was %u)", ev->ifname,
			    ev->mtu, ev->old_mtu);
		break;
	}
}

struct tun *
px_tun_open(const struct conf_tunnel *ct)
{
	struct tun	*t;
	char		 err[512], a[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];
	char		 l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	if (tun_open(&t, ct, err, sizeof(err)) == -1) {
		px_log(CONF_LOG_CRIT, "tunnel %s: %s", ct->interface, err);
		return (NULL);
	}
	if (tun_start(t, px_tun_event, NULL, err, sizeof(err)) == -1) {
		px_log(CONF_LOG_CRIT, "tunnel %s: %s", ct->interface, err);
		tun_close(t);
		return (NULL);
	}
	px_log(CONF_LOG_NOTICE, "tunnel %s: %s/%u (%s) to peer %s, 6in4 %s -> "
	    "%s, mtu %d%s, echo every %" PRIu64 " ms%s", ct->interface,
	    inet_ntop(AF_INET6, &ct->address, a, sizeof(a)), ct->plen,
	    ct->role == CONF_TUN_BROKER ? "broker" : "client",
	    inet_ntop(AF_INET6, &ct->peer, p, sizeof(p)),
	    inet_ntop(AF_INET, &ct->local, l, sizeof(l)),
	    inet_ntop(AF_INET, &ct->remote, r, sizeof(r)), ct->mtu,
	    ct->pmtu_dynamic ? " (dynamic PMTU)" : "", ct->echo_interval, ct->echo_interval == 0 ? " (off)" : "");
	return (t);
}

/*
 * One line, key=value, every counter: easy to read, and to grep or parse
 * in a script that sends SIGUSR2 and reads the log.
 */
void
px_tun_report(const struct tun *t)
{
	struct tun_stats	st;
	char			drops[1024];
	size_t			n = 0;
	uint64_t		total = 0;
	int			i;

	if (t == NULL) {
		px_log(CONF_LOG_NOTICE, "SIGUSR2: no tunnel configured");
		return;
	}
	tun_stats_get(t, &st);
	drops[0] = '\0';
	for (i = 1; i < TUN_DROP_MAX; i++) {
		int r;

		total += st.drops[i];
		r = snprintf(drops + n, sizeof(drops) - n, " drop_%s=%" PRIu64,
		    tun_drop_name((enum tun_drop)i), st.drops[i]);
		if (r > 0 && (size_t)r < sizeof(drops) - n)
			n += (size_t)r;
	}
	px_log(CONF_LOG_NOTICE, "tunnel %s: state=%s rx_pkts=%" PRIu64
	    " rx_bytes=%" PRIu64 " tx_pkts=%" PRIu64 " tx_bytes=%" PRIu64
	    " echo_tx=%" PRIu64 " echo_rx=%" PRIu64 " echo_rtt_us=%" PRIu64
	    " nd_answered=%" PRIu64 " tx_mld=%" PRIu64 " rx_trailing=%" PRIu64
	    " rx_errors=%" PRIu64 " tx_errors=%" PRIu64 " rx_overflow=%" PRIu64
	    " tx_gso=%" PRIu64 " rx_gro=%" PRIu64 " rx_kgro=%" PRIu64
	    " mtu=%" PRIu64
	    " frag_needed=%" PRIu64 " ptb_sent=%" PRIu64
	    " drops=%" PRIu64 "%s",
	    tun_ifname(t), tun_state_name(tun_state_get(t)), st.rx_pkts,
	    st.rx_bytes, st.tx_pkts, st.tx_bytes, st.echo_tx, st.echo_rx,
	    st.echo_rtt_ns / 1000, st.nd_answered, st.tx_mld, st.rx_trailing,
	    st.rx_errors, st.tx_errors, st.rx_overflow, st.tx_gso,
	    st.rx_gro, st.rx_kgro, st.mtu, st.frag_needed, st.ptb_sent, total,
	    drops);
}
