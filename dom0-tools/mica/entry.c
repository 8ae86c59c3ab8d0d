/* mica's main(): everything else is in mica_main (main.c), which the tests call too. */
#include "mica.h"

int main(int argc, char **argv)
{
	return mica_main(argc, argv);
}
