/*
 * mica network-attach, network-detach, network-list: a guest's network
 * interfaces (vifs), and vif_add, which `mica create` uses for the vif
 * lines of a configuration.
 *
 * An interface is two store directories (store.h): the frontend's, which
 * the guest's netfront reads and writes, and the backend's, which
 * mica-netback serves (started here when it is not running, as
 * mica-blkback is for disks). Attaching writes both in one transaction and
 * waits for the backend to pick them up; detaching asks the backend to close
 * (online 0, state Closing), waits until it is Closed, so the guest has let
 * go and the backend has unmapped everything, and removes both.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "json.h"
#include "libmica.h"
#include "mica.h"
#include "pvdev.h"
#include "store.h"
#include "vif.h"

static const struct pvdev_backend netback = {
	.prog = "mica-netback", .env = "MICA_NETBACK", .pidfile = "/run/mica-netback.pid",
	.what = "network",
};

#define PICKUP_MS 10000     /* for mica-netback to answer a new interface */
#define CONNECT_MS 30000    /* for the guest's netfront to connect it */
#define CLOSE_MS 30000      /* for both ends to close it */

static const char *const state_names[] = { "unknown", "initialising", "initwait", "initialised",
					   "connected", "closing", "closed" };

/* The backend's directory of vif devid. */
static const char *be_dir(char *buf, size_t size, uint32_t domid, uint32_t devid)
{
	snprintf(buf, size, "/local/domain/0/backend/vif/%u/%u", domid, devid);
	return buf;
}

/* The frontend's directory of vif devid. */
static const char *fe_dir(char *buf, size_t size, uint32_t domid, uint32_t devid)
{
	snprintf(buf, size, "/local/domain/%u/device/vif/%u", domid, devid);
	return buf;
}

/* The backend's state of vif devid (0 if there is none). */
static int be_state(struct mica_xs *xs, uint32_t domid, uint32_t devid)
{
	enum xenbus_state s = XenbusStateUnknown;
	char be[96];

	pvdev_state(xs, be_dir(be, sizeof(be), domid, devid), &s);
	return (int)s;
}

static const char *state_name(int s)
{
	return s >= 0 && s < (int)(sizeof(state_names) / sizeof(state_names[0])) ? state_names[s] :
										    "?";
}

/* Waits up to ms for the backend state to satisfy done(); returns the last state seen. */
static int wait_state(struct mica_xs *xs, uint32_t domid, uint32_t devid, int64_t ms,
		      bool (*done)(int))
{
	int64_t deadline = now_ms() + ms;
	int s;

	while (!done(s = be_state(xs, domid, devid)) && now_ms() < deadline)
		pvdev_sleep_ms(100);
	return s;
}

static bool picked_up(int s)
{
	return s != 1;
}

static bool connected_or_failed(int s)
{
	return s == 4 || s >= 5 || s == 0;
}

/* The devids of the domain's vifs, sorted; *nr of them in a malloc'd array (may be empty). */
static int list_vifs(struct mica_xs *xs, uint32_t domid, uint32_t **ids, unsigned int *nr)
{
	char path[64], **names = NULL;
	unsigned int n = 0, k = 0;
	int rc;

	*ids = NULL;
	*nr = 0;
	snprintf(path, sizeof(path), "/local/domain/%u/device/vif", domid);
	rc = mica_xs_directory(xs, MICA_XS_NO_TX, path, &names, &n);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	*ids = calloc(n ? n : 1, sizeof(**ids));
	if (!*ids) {
		mica_xs_free_list(names, n);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t id;

		if (parse_uint(names[i], 0xffff, &id))
			(*ids)[k++] = (uint32_t)id;
	}
	mica_xs_free_list(names, n);
	for (unsigned int i = 1; i < k; i++)
		for (unsigned int j = i; j && (*ids)[j - 1] > (*ids)[j]; j--) {
			uint32_t t = (*ids)[j];

			(*ids)[j] = (*ids)[j - 1];
			(*ids)[j - 1] = t;
		}
	*nr = k;
	return 0;
}

/* A random MAC in Xen's OUI 00:16:3e, as xl picks one. */
static int random_mac(char mac[18])
{
	uint8_t b[3];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -EIO;
	snprintf(mac, 18, "00:16:3e:%02x:%02x:%02x", b[0] & 0x7f, b[1], b[2]);
	return 0;
}

int vif_add(struct mica_xs *xs, uint32_t domid, uint32_t devid, const struct vif_spec *spec,
	    char mac[18], struct msgs *errors)
{
	struct store_entries e = { 0 };
	struct vif_entry v = { .domid = domid, .devid = devid, .bridge = spec->bridge };
	int rc = pvdev_backend_ensure(&netback, errors);

	if (rc)
		return rc;
	if (spec->mac[0])
		snprintf(mac, 18, "%s", spec->mac);
	else
		rc = random_mac(mac);
	v.mac = mac;
	if (!rc)
		rc = vif_entries_for(&v, &e);
	if (!rc)
		rc = store_write_entries(xs, &e, domid);
	store_entries_free(&e);
	if (rc)
		msgs_add(errors, "cannot write interface %u to the store: %s", devid, strerror(-rc));
	return rc;
}

int cmd_network_attach(int argc, char **argv)
{
	struct msgs errors = { 0 };
	struct vif_spec spec;
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid, devid = 0, *ids;
	unsigned int nr;
	char why[256], mac[18], label[96], *joined = NULL;
	size_t len = 1;
	int rc, s, status = EXIT_FAIL;

	optind = 0;
	if (getopt_long(argc, argv, "+", (const struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
		return usage_error("network-attach", "unknown option");
	if (optind >= argc)
		return usage_error("network-attach", "name one domain (NAME or ID)");
	/* xl takes the spec as one or several KEY=VALUE arguments. */
	for (int i = optind + 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	joined = calloc(1, len);
	if (!joined)
		return EXIT_FAIL;
	for (int i = optind + 1; i < argc; i++) {
		strcat(joined, argv[i]);
		if (i + 1 < argc)
			strcat(joined, ",");
	}
	rc = domcfg_parse_vif(joined, &spec, why, sizeof(why));
	free(joined);
	if (rc)
		return usage_error("network-attach", "%s", why);
	if (pvdev_open_guest(argv[optind], "network interfaces", &m, &xs, &domid))
		goto out_spec;
	domain_label(xs, domid, label, sizeof(label));
	rc = list_vifs(xs, domid, &ids, &nr);
	if (rc) {
		err_msg("cannot read the interfaces of %s: %s", label, strerror(-rc));
		goto out;
	}
	for (unsigned int i = 0; i < nr && ids[i] == devid; i++)
		devid++;
	free(ids);
	rc = vif_add(xs, domid, devid, &spec, mac, &errors);
	if (rc) {
		for (unsigned int i = 0; i < errors.nr; i++)
			err_msg("%s: %s", label, errors.v[i]);
		goto out;
	}
	s = wait_state(xs, domid, devid, PICKUP_MS, picked_up);
	if (s == 1) {
		pvdev_remove(xs, "vif", domid, devid);
		err_msg("no network backend answered for interface %u of %s within %d s: is "
			"mica-netback running? (its log: /var/log/mica/netback.log)", devid, label,
			PICKUP_MS / 1000);
		goto out;
	}
	s = wait_state(xs, domid, devid, CONNECT_MS, connected_or_failed);
	if (s == 4) {
		info_msg("attached interface %u (mac %s) to %s: vif%u.%u on bridge %s", devid, mac,
			 label, domid, devid, spec.bridge ? spec.bridge : "(the default)");
		status = EXIT_OK;
	} else if (s == 2) {
		warn_msg("interface %u (mac %s) of %s is ready, but the guest has not connected it "
			 "within %d s (does it have a netfront driver?)", devid, mac, label,
			 CONNECT_MS / 1000);
		status = EXIT_OK;
	} else {
		char be[96], *err = pvdev_read(xs, be_dir(be, sizeof(be), domid, devid), "error");

		err_msg("interface %u of %s did not connect (backend %s): %s", devid, label,
			state_name(s), err ? err : "see mica-netback's log");
		free(err);
	}
out:
	mica_xs_close(xs);
	mica_close(m);
out_spec:
	msgs_free(&errors);
	free(spec.bridge);
	free(spec.ip);
	free(spec.vifname);
	free(spec.script);
	free(spec.model);
	return status;
}

/* The devid named by arg: a number, or a MAC of one of the domain's vifs. */
static int find_vif(struct mica_xs *xs, uint32_t domid, const char *arg, uint32_t *devid)
{
	uint32_t *ids;
	unsigned int nr;
	uint64_t n;
	int rc = list_vifs(xs, domid, &ids, &nr);

	if (rc)
		return rc;
	rc = -ENOENT;
	for (unsigned int i = 0; i < nr && rc; i++) {
		char fe[96], *mac = pvdev_read(xs, fe_dir(fe, sizeof(fe), domid, ids[i]), "mac");

		if ((parse_uint(arg, 0xffff, &n) && n == ids[i]) || (mac && !strcasecmp(mac, arg))) {
			*devid = ids[i];
			rc = 0;
		}
		free(mac);
	}
	free(ids);
	return rc;
}

int cmd_network_detach(int argc, char **argv)
{
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid, devid;
	char label[96];
	int rc;

	optind = 0;
	if (getopt_long(argc, argv, "+", (const struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
		return usage_error("network-detach", "unknown option");
	if (optind != argc - 2)
		return usage_error("network-detach", "name a domain and an interface (DEVID or MAC)");
	if (pvdev_open_guest(argv[optind], "network interfaces", &m, &xs, &domid))
		return EXIT_FAIL;
	domain_label(xs, domid, label, sizeof(label));
	rc = find_vif(xs, domid, argv[optind + 1], &devid);
	if (rc) {
		err_msg("%s has no interface %s; 'mica network-list %s' shows them", label,
			argv[optind + 1], argv[optind]);
		goto out;
	}
	rc = pvdev_detach(xs, "vif", domid, devid, CLOSE_MS, false);
	if (rc == -ETIMEDOUT) {
		warn_msg("interface %u of %s did not close within %d s (backend %s): removed anyway",
			 devid, label, CLOSE_MS / 1000, state_name(be_state(xs, domid, devid)));
		pvdev_remove(xs, "vif", domid, devid);
	} else if (rc) {
		err_msg("cannot detach interface %u of %s: %s", devid, label, strerror(-rc));
		goto out;
	}
	info_msg("detached interface %u from %s", devid, label);
out:
	mica_xs_close(xs);
	mica_close(m);
	return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_network_list(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' },
						  { NULL, 0, NULL, 0 } };
	static const char *const keys[] = { "mac", "state", "tx-ring-ref", "rx-ring-ref",
					    "event-channel" };
	struct mica_xs *xs;
	struct mica *m;
	struct json j;
	uint32_t domid, *ids = NULL;
	unsigned int nr = 0;
	bool json = false;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c != 'j')
			return usage_error("network-list", "unknown option");
		json = true;
	}
	if (optind != argc - 1)
		return usage_error("network-list", "name one domain (NAME or ID)");
	if (pvdev_open_guest(argv[optind], "network interfaces", &m, &xs, &domid))
		return EXIT_FAIL;
	rc = list_vifs(xs, domid, &ids, &nr);
	if (rc) {
		err_msg("cannot read the interfaces of domain %u: %s", domid, strerror(-rc));
		goto out;
	}
	if (json) {
		json_init(&j, stdout);
		json_begin_array(&j, NULL);
	} else {
		printf("%-4s %-3s %-17s %-13s %-13s %-10s %-8s %s\n", "Idx", "BE", "Mac Addr.",
		       "state", "backend", "interface", "bridge", "tx-/rx-ring-ref evt-ch");
	}
	for (unsigned int i = 0; i < nr; i++) {
		char *v[5], *bridge, ifname[24];
		int bs = be_state(xs, domid, ids[i]);

		char fe[96], be[96];

		fe_dir(fe, sizeof(fe), domid, ids[i]);
		for (size_t k = 0; k < 5; k++)
			v[k] = pvdev_read(xs, fe, keys[k]);
		bridge = pvdev_read(xs, be_dir(be, sizeof(be), domid, ids[i]), "bridge");
		snprintf(ifname, sizeof(ifname), "vif%u.%u", domid, ids[i]);
		if (json) {
			json_begin_object(&j, NULL);
			json_u64(&j, "devid", ids[i]);
			json_u64(&j, "backend_id", 0);
			json_string(&j, "mac", v[0]);
			json_string(&j, "frontend_state", state_name(v[1] ? atoi(v[1]) : 0));
			json_string(&j, "backend_state", state_name(bs));
			json_string(&j, "interface", ifname);
			json_string(&j, "bridge", bridge);
			json_string(&j, "tx_ring_ref", v[2]);
			json_string(&j, "rx_ring_ref", v[3]);
			json_string(&j, "event_channel", v[4]);
			json_end_object(&j);
		} else {
			printf("%-4u %-3u %-17s %-13s %-13s %-10s %-8s %s/%s %s\n", ids[i], 0,
			       v[0] ? v[0] : "-", state_name(v[1] ? atoi(v[1]) : 0),
			       state_name(bs), ifname, bridge ? bridge : "default",
			       v[2] ? v[2] : "-", v[3] ? v[3] : "-", v[4] ? v[4] : "-");
		}
		for (size_t k = 0; k < 5; k++)
			free(v[k]);
		free(bridge);
	}
	if (json) {
		json_end_array(&j);
		json_finish(&j);
	}
out:
	free(ids);
	mica_xs_close(xs);
	mica_close(m);
	return rc ? EXIT_FAIL : EXIT_OK;
}
