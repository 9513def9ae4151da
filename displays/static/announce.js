// The hook the zone's audio player plugs into: called once per call this screen sees arrive
// (a new call or a recall; never the calls already on screen when the page loaded, nor again
// after a reconnect). `call` is a CallView: {id, label, counter_label, tenant_name,
// service_name, at, recall, audio}. Intentionally empty until the player lands.

export function onNewCall(call) { // eslint-disable-line no-unused-vars
}
