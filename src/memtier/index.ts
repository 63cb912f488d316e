/**
 * memkind/memtier: allocations spread over kinds by a ratio (STATIC_RATIO,
 * DYNAMIC_THRESHOLD). Filled in by the memtier issue; the policy names are fixed already.
 */
export const MEMTIER_POLICY_STATIC_RATIO = 0;
export const MEMTIER_POLICY_DYNAMIC_THRESHOLD = 1;
