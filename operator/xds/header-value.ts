// Envoy reads headers_to_add values as format strings (`%REQ(x)%`, `%START_TIME%` ...): a value from
// a route is a literal, so each `%` in it is doubled (Envoy's escape for a literal `%`).

export function literalHeaderValue(value: string): string {
  return value.replaceAll('%', '%%');
}
