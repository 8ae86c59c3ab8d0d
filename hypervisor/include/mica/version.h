/* The hypervisor's version, reported in the banner and to guests. */
#ifndef MICA_VERSION_H
#define MICA_VERSION_H

#define MICA_VERSION "0.1"
#ifndef MICA_BUILD_INFO
#define MICA_BUILD_INFO "unknown build"
#endif

#endif
