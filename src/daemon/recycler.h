/* The recycler thread: Returns released ports to their pool after the cool-down; see recycler.c.
 * lifecycle.c starts it with the daemon and joins it at daemon_free. */
#ifndef SF_DAEMON_RECYCLER_H
#define SF_DAEMON_RECYCLER_H

/* The thread's main; arg is the struct daemon. */
void *recycler_main(void *arg);

#endif
