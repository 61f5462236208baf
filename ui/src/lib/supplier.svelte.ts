// Is the supplier reachable? Set by the shell from app_info and the `supplier-status`
// event; the counter greys products out while it is not.

let reachable = $state<boolean | null>(null);

export function supplierDown(): boolean {
  return reachable === false;
}

export function setSupplierReachable(value: boolean | null): void {
  reachable = value;
}
