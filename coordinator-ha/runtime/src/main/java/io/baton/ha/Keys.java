package io.baton.ha;

/**
 * Where Baton keeps its own state in the metadata store: the whole key layout, in one place.
 *
 * <pre>
 * baton/roles/&lt;role&gt;/holder     the role's epoch key: value = the node that holds the role; the
 *                               revision it was last written at is the epoch (leader and spread placement)
 * baton/roles/&lt;role&gt;/target     a node an operator's transfer sends the role to (spread placement)
 * baton/roles/&lt;role&gt;/handover   the node a holder handing the role over chose (spread placement)
 * baton/roles/&lt;role&gt;/state/     the role's replicated state (RoleContext.statePrefix())
 * baton/nodes/&lt;node&gt;            a live node's presence, bound to its session lease (spread placement)
 * baton/probes/&lt;node&gt;           host:port at which the other nodes tell a crash of the node's process
 *                               from silence, bound to its session lease (etcd, leader placement)
 * baton/members/&lt;member&gt;        the member table (value: the member's address)
 * </pre>
 * On the etcd backend with the leader placement, a role's epoch key is its election key instead
 * ({@code <namespace>election/<role>/<lease id>}, etcd's election recipe).
 */
public final class Keys {
  /** Every role's keys. */
  public static final String ROLES = "baton/roles/";
  /** Live nodes' presence keys. */
  public static final String NODES = "baton/nodes/";
  /** The member table. */
  public static final String MEMBERS = "baton/members/";
  /** Nodes' probe addresses (etcd backend, leader placement). */
  public static final String PROBES = "baton/probes/";

  private Keys() {
  }

  /** The prefix of a role's replicated state. */
  public static String roleState(String role) {
    return ROLES + role + "/state/";
  }

  /** A role's epoch key (leader and spread placement). */
  public static String holder(String role) {
    return ROLES + role + "/holder";
  }

  /** Where an operator's transfer names the node a role is sent to. */
  public static String target(String role) {
    return ROLES + role + "/target";
  }

  /** Where a holder handing a role over names the node it chose. */
  public static String handover(String role) {
    return ROLES + role + "/handover";
  }

  /** A node's presence key. */
  public static String node(String nodeId) {
    return NODES + nodeId;
  }

  /** A node's probe address key. */
  public static String probe(String nodeId) {
    return PROBES + nodeId;
  }

  /** A member's entry in the member table. */
  public static String member(String member) {
    return MEMBERS + member;
  }

  /** The role a key under {@link #ROLES} belongs to and the rest of the key, or null for other keys. */
  static String[] roleAndRest(String key) {
    if (!key.startsWith(ROLES)) {
      return null;
    }
    final int slash = key.indexOf('/', ROLES.length());
    return slash < 0 ? null : new String[] {key.substring(ROLES.length(), slash), key.substring(slash + 1)};
  }
}
