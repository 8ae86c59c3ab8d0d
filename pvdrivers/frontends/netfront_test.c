/*
 * netfront-test: a libpv guest that tests mica-netback through the
 * reference frontend (netfront.c). Its command line picks the part, and
 * ip=A.B.C.D its address on the bridge (dom0 is A.B.C.1):
 *
 *   good     asks dom0 for its MAC (ARP) and pings it (ICMP echo), so a
 *            frame goes each way through netback, the TAP and dom0's stack;
 *   hostile  the same, then what a broken or malicious frontend would send:
 *            frames the backend must refuse with an error (a grant ref it
 *            never made, a runt, fragments larger than their packet, a
 *            checksum to fill on a frame that is not IP), receive pages it
 *            never granted, and lies that must get the interface shut
 *            (data past its page, 21 slots, an unknown extra-info type,
 *            tx and rx producer indices beyond the ring). After each lie it
 *            reconnects, and at the end it pings dom0 again.
 *
 * Each check prints one line "netfront-test: WHAT: ANSWER" on the console
 * (the hypervisor's log, as "(dN) ..."), and "netfront-test: done" last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/io/xenbus.h>

#include "frontdev.h"
#include "netfront.h"

static struct netfront nf;
static uint8_t page[4096] __attribute__((aligned(4096)));
static uint8_t frame[4096];
static uint8_t my_ip[4], dom0_ip[4], dom0_mac[6];
static int failures;

static void check(const char *what, bool ok, const char *answer)
{
	printf("netfront-test: %s: %s\n", what, answer);
	if (!ok)
		failures++;
}

static const char *status_name(int s)
{
	return s == NETIF_RSP_OKAY ? "ok" : s == NETIF_RSP_ERROR ? "error" :
	       s == NETIF_RSP_DROPPED ? "dropped" : s == NETFRONT_NO_ANSWER ? "no answer" : "?";
}

static void expect_status(const char *what, int status, int want)
{
	check(what, status == want, status_name(status));
}

/* The Internet checksum of n bytes. */
static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t arp_request(uint8_t *f)
{
	static const uint8_t head[] = { 0, 1, 8, 0, 6, 4, 0, 1 };

	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, nf.mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, head, sizeof(head));
	memcpy(f + 22, nf.mac, 6);
	memcpy(f + 28, my_ip, 4);
	memcpy(f + 38, dom0_ip, 4);
	return 60;
}

static size_t echo_request(uint8_t *f, uint16_t seq)
{
	uint8_t *ip = f + 14, *icmp = ip + 20;
	uint16_t c;

	memset(f, 0, 14 + 20 + 8 + 32);
	memcpy(f, dom0_mac, 6);
	memcpy(f + 6, nf.mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 32;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, my_ip, 4);
	memcpy(ip + 16, dom0_ip, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	icmp[0] = 8;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	for (int i = 0; i < 32; i++)
		icmp[8 + i] = (uint8_t)('a' + i % 26);
	c = csum(icmp, 8 + 32);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	return 14 + 20 + 8 + 32;
}

/* Receives frames for up to 10 s until one satisfies is_it; true if one did. */
static bool receive_until(bool (*is_it)(const uint8_t *f, int len))
{
	for (int i = 0; i < 100; i++) {
		int len = netfront_recv(&nf, frame, sizeof(frame), 100);

		if (len > 0 && is_it(frame, len))
			return true;
		if (len == NETFRONT_NO_ANSWER && netfront_backend_state(&nf) != XenbusStateConnected)
			return false;
	}
	return false;
}

static bool is_arp_reply(const uint8_t *f, int len)
{
	if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[21] != 2 || memcmp(f + 28, dom0_ip, 4))
		return false;
	memcpy(dom0_mac, f + 22, 6);
	return true;
}

static bool is_echo_reply(const uint8_t *f, int len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0 && f[23] == 1 && f[34] == 0 &&
	       !memcmp(f + 26, dom0_ip, 4) && csum(f + 34, (size_t)len - 34) == 0;
}

/* An ARP exchange and a ping with dom0: a frame each way. */
static void talk_to_dom0(const char *when)
{
	char what[64];
	size_t n = arp_request(page);

	snprintf(what, sizeof(what), "arp %s", when);
	expect_status(what, netfront_send(&nf, page, n), NETIF_RSP_OKAY);
	snprintf(what, sizeof(what), "arp reply %s", when);
	check(what, receive_until(is_arp_reply), "from dom0");
	n = echo_request(page, 1);
	snprintf(what, sizeof(what), "ping dom0 %s", when);
	expect_status(what, netfront_send(&nf, page, n), NETIF_RSP_OKAY);
	snprintf(what, sizeof(what), "echo reply %s", when);
	check(what, receive_until(is_echo_reply), "from dom0");
}

/* A request for one slot of the granted page. */
static struct netif_tx_request slot(grant_ref_t ref, uint16_t off, uint16_t flags, uint16_t size)
{
	return (struct netif_tx_request){ .gref = ref, .offset = off, .flags = flags,
					  .id = (uint16_t)nf.tx_prod, .size = size };
}

/* After a lie: the interface must be shut (backend Closing), then we reconnect. */
static void expect_shut(const char *what)
{
	bool shut = front_wait_backend(nf.backend, XenbusStateClosing, 10000);
	char buf[128] = "";

	front_read_str(nf.backend, "error", buf, sizeof(buf));
	check(what, shut, shut ? "interface shut" : "still open");
	netfront_close(&nf);
	if (netfront_connect(&nf, 0)) {
		check("reconnect", false, "failed");
		return;
	}
}

/*
 * Shut and reconnect RUSHED times without waiting for the backend between
 * Closing, Closed and Initialising (issue 6): the backend sees the writes
 * coalesced, in any order, and must still offer the interface again.
 */
#define RUSHED 5

static void rushed_reconnects(void)
{
	int done = 0;

	for (int i = 0; i < RUSHED; i++) {
		nf.tx->req_prod = nf.tx_prod + 1000;
		netfront_kick(&nf);
		if (!front_wait_backend(nf.backend, XenbusStateClosing, 10000))
			break;
		netfront_drop(&nf);
		if (netfront_connect(&nf, 0))
			break;
		done++;
	}
	check("rushed reconnects", done == RUSHED, done == RUSHED ? "ok" : "failed");
}

static void hostile(void)
{
	long ref = pv_gnttab_grant(0, pv_virt_to_mfn(page), true);
	struct netif_tx_request r[24];
	struct netif_extra_info *x;

	arp_request(page);
	/* Refused, the interface stays up. */
	r[0] = slot(4000, 0, 0, 60);
	expect_status("bad grant ref", netfront_tx_raw(&nf, r, 1), NETIF_RSP_ERROR);
	r[0] = slot((grant_ref_t)ref, 0, 0, 10);
	expect_status("runt frame", netfront_tx_raw(&nf, r, 1), NETIF_RSP_ERROR);
	r[0] = slot((grant_ref_t)ref, 0, NETTXF_more_data, 100);
	r[1] = slot((grant_ref_t)ref, 0, 0, 200);
	expect_status("fragments larger than the packet", netfront_tx_raw(&nf, r, 2),
		      NETIF_RSP_ERROR);
	r[0] = slot((grant_ref_t)ref, 0, NETTXF_csum_blank, 60);
	expect_status("checksum offload on ARP", netfront_tx_raw(&nf, r, 1), NETIF_RSP_ERROR);
	/* Receive pages never granted (rewritten in place): the frame is reported as an error. */
	for (pv_ring_idx_t i = nf.rx_cons; i != nf.rx_prod; i++)
		nf.rx->ring[i % NETIF_RX_RING_SIZE].req.gref = 4000 + (i % 16);
	netfront_send(&nf, page, arp_request(page));
	{
		int s = netfront_recv(&nf, frame, sizeof(frame), 10000);

		check("receive into a page not granted", s == NETIF_RSP_ERROR, status_name(s));
	}
	/* Fresh rings, and the interface still carries frames. */
	netfront_close(&nf);
	if (netfront_connect(&nf, 0)) {
		check("reconnect", false, "failed");
		return;
	}
	talk_to_dom0("after refused frames");

	/* Lies: the interface is shut each time. */
	r[0] = slot((grant_ref_t)ref, 4000, 0, 200);
	netfront_tx_raw(&nf, r, 1);
	expect_shut("data past its page");
	for (int i = 0; i < 21; i++)
		r[i] = slot((grant_ref_t)ref, 0, i < 20 ? NETTXF_more_data : 0, i ? 10 : 2000);
	netfront_tx_raw(&nf, r, 21);
	expect_shut("21 slots");
	r[0] = slot((grant_ref_t)ref, 0, NETTXF_extra_info, 60);
	x = (struct netif_extra_info *)&r[1];
	memset(x, 0, sizeof(r[1]));
	x->type = 77;
	netfront_tx_raw(&nf, r, 2);
	expect_shut("unknown extra info");
	nf.tx->req_prod = nf.tx_prod + 1000;
	netfront_kick(&nf);
	expect_shut("tx producer beyond the ring");
	nf.rx->req_prod = nf.rx_prod + 1000;
	netfront_kick(&nf);
	expect_shut("rx producer beyond the ring");
	rushed_reconnects();

	talk_to_dom0("after the lies");
	pv_gnttab_end((grant_ref_t)ref);
}

static bool parse_ip(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		char *end;
		unsigned long b = strtoul(s, &end, 10);

		if (end == s || b > 255 || (i < 3 && *end != '.'))
			return false;
		ip[i] = (uint8_t)b;
		s = end + 1;
	}
	return true;
}

int main(void)
{
	const char *cmd = (const char *)pv_start_info->cmd_line, *ip = strstr(cmd, "ip=");

	pv_irq_enable();
	if (!ip || !parse_ip(ip + 3, my_ip)) {
		printf("netfront-test: done (no ip=A.B.C.D on the command line)\n");
		return 1;
	}
	memcpy(dom0_ip, my_ip, 3);
	dom0_ip[3] = 1;
	if (netfront_connect(&nf, 0)) {
		printf("netfront-test: done (no interface)\n");
		return 1;
	}
	printf("netfront-test: connected, mac %02x:%02x:%02x:%02x:%02x:%02x\n", nf.mac[0],
	       nf.mac[1], nf.mac[2], nf.mac[3], nf.mac[4], nf.mac[5]);
	talk_to_dom0("first");
	if (strstr(cmd, "hostile"))
		hostile();
	netfront_close(&nf);
	printf("netfront-test: done, %d failure%s\n", failures, failures == 1 ? "" : "s");
	return 0;
}
