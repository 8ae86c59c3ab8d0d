/* mica-store: CONTROL commands and the domain-information requests. */
#include "harness.h"

#pragma GCC visibility push(default)
#include <unistd.h>
#pragma GCC visibility pop

static void control_commands(void)
{
	struct hclient *d0, *d1;
	char logfile[] = "/tmp/mica-store-test-XXXXXX";
	int fd;

	h_init();
	d0 = h_client(0);
	d1 = h_client(1);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "help", NULL), 0);
	CHECK(strstr(d0->reply.body, "quota-set") != NULL);
	CHECK_EQ(d0->reply.body[d0->reply.h.len - 1], '\0');
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "check", NULL), 0);
	CHECK_STR(d0->reply.body, "OK");
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "log", NULL), 0);
	CHECK_STR(d0->reply.body, "request logging is off");
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "log", "on", NULL), 0);
	CHECK(h_st.log_requests);
	REQUIRE(h_write(d0, "/logged", "1") == 0);
	CHECK(h_logged("WRITE /logged (tx 0) -> OK"));
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "log", "maybe", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "log", "off", NULL), 0);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "print", "hello from a test", NULL), 0);
	CHECK(h_logged("hello from a test"));
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "stats", NULL), 0);
	CHECK(strstr(d0->reply.body, "nodes 2\n") != NULL);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "nosuch", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, NULL), -EINVAL);
	CHECK_EQ(h_call(d1, XS_CONTROL, 0, "check", NULL), -EACCES);
	/* logfile switches the log to a file. */
	fd = mkstemp(logfile);
	REQUIRE(fd >= 0);
	close(fd);
	log_set_sink(NULL);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "logfile", logfile, NULL), 0);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "print", "into the file", NULL), 0);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "logfile", "/nonexistent-dir/x.log", NULL), -ENOENT);
	log_close();
	{
		FILE *f = fopen(logfile, "r");
		char line[512];
		bool found = false;

		REQUIRE(f);
		while (fgets(line, sizeof(line), f))
			found |= strstr(line, "into the file") != NULL;
		fclose(f);
		CHECK(found);
	}
	unlink(logfile);
	h_fini();
}

static void domain_requests(void)
{
	struct hclient *d0, *d7;

	h_init();
	d0 = h_client(0);
	d7 = h_client(7);
	CHECK_EQ(h_call(d7, XS_IS_DOMAIN_INTRODUCED, 0, "0", NULL), 0);
	CHECK_STR(d7->reply.body, "T");
	CHECK_EQ(h_call(d7, XS_IS_DOMAIN_INTRODUCED, 0, "7", NULL), 0);
	CHECK_STR(d7->reply.body, "F");
	CHECK_EQ(h_introduce(d0, 7), 0);
	CHECK_EQ(h_call(d7, XS_IS_DOMAIN_INTRODUCED, 0, "7", NULL), 0);
	CHECK_STR(d7->reply.body, "T");
	CHECK_EQ(h_call(d7, XS_IS_DOMAIN_INTRODUCED, 0, "seven", NULL), -EINVAL);
	CHECK_EQ(h_call(d7, XS_GET_DOMAIN_PATH, 0, "65535", NULL), 0);
	CHECK_STR(d7->reply.body, "/local/domain/65535");
	CHECK_EQ(h_call(d7, XS_GET_DOMAIN_PATH, 0, "65536", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_SET_TARGET, 0, "7", NULL), -EINVAL);
	h_fini();
}

int main(void)
{
	RUN(control_commands);
	RUN(domain_requests);
	return check_done();
}
