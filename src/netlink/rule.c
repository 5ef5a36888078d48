/* Policy routing rules: "from ADDRESS lookup TABLE", added and removed. */
#include "netlink/msg.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

int nl_build_rule(void *buf, size_t size, bool add, const struct nl_rule *rule,
		  struct nlmsghdr **ret, struct nl_extack *extack)
{
	size_t len = nl_ip_len(rule->family);
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;

	if (!len)
		return nl_extack_set(extack, -EAFNOSUPPORT, "address family %d is not IPv4 or IPv6",
				     rule->family);
	if (rule->src_len > len * 8)
		return nl_extack_set(extack, -EINVAL, "prefix length %u is too long", rule->src_len);
	if (!rule->table || !rule->priority)
		return nl_extack_set(extack, -EINVAL, "a rule needs a table and a priority");
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*frh)))
		goto toobig;
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)rule->family;
	frh->src_len = (uint8_t)rule->src_len;
	frh->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	if ((rule->src_len && !mnl_attr_put_check(nlh, size, FRA_SRC, len, &rule->src)) ||
	    !mnl_attr_put_u32_check(nlh, size, FRA_TABLE, rule->table) ||
	    !mnl_attr_put_u32_check(nlh, size, FRA_PRIORITY, rule->priority))
		goto toobig;
	*ret = nlh;
	return 0;
toobig:
	return nl_extack_set(extack, -EMSGSIZE, "request does not fit in its buffer");
}

static int rule_talk(struct nl_sock *s, bool add, const struct nl_rule *rule,
		     struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_rule(buf, sizeof(buf), add, rule, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

int nl_rule_add(struct nl_sock *s, const struct nl_rule *rule, struct nl_extack *extack)
{
	int r = rule_talk(s, true, rule, extack);

	return r == -EEXIST ? 0 : r;
}

int nl_rule_del(struct nl_sock *s, const struct nl_rule *rule, struct nl_extack *extack)
{
	int r = rule_talk(s, false, rule, extack);

	return r == -ENOENT ? 0 : r;
}
