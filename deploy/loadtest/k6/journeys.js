// The main gcc-load journeys for k6, each at a constant arrival rate (open loop, as
// gcc-load runs them). The data comes from `gcc-load seed --fixture-out data.json`.
//
//   k6 run -e DATA=data.json -e VALIDATION=gcc.example:50053 -e ORDERING=gcc.example:50054 \
//          -e RATE=200 -e DURATION=60s deploy/loadtest/k6/journeys.js
//
// Calls go over plaintext gRPC and read the schema from the servers' reflection.
import grpc from 'k6/net/grpc';
import { check } from 'k6';
import exec from 'k6/execution';

const data = JSON.parse(open(__ENV.DATA || 'data.json'));
const rate = Number(__ENV.RATE || 100);
const duration = __ENV.DURATION || '60s';
const deadline = __ENV.DEADLINE || '5s';

function arrival(exec, share) {
  return {
    executor: 'constant-arrival-rate',
    exec,
    rate: Math.max(1, Math.round(rate * share)),
    timeUnit: '1s',
    duration,
    preAllocatedVUs: 50,
    maxVUs: 500,
  };
}

// The checkout mix's main parts.
export const options = {
  scenarios: {
    gate_validated: arrival('gateValidated', 0.4),
    gate_pending: arrival('gatePending', 0.05),
    order_gcc: arrival('orderGcc', 0.25),
    order_refused: arrival('orderRefused', 0.05),
    list_get: arrival('listGet', 0.1),
  },
  thresholds: {
    'grpc_req_duration{name:gcc.ordering.v1.OrderingService/PlaceOrder}': ['p(99)<50'],
    checks: ['rate>0.999'],
  },
};

const validation = new grpc.Client();
const ordering = new grpc.Client();
let connected = false;

function connect() {
  if (!connected) {
    validation.connect(__ENV.VALIDATION, { plaintext: true, reflect: true });
    ordering.connect(__ENV.ORDERING, { plaintext: true, reflect: true });
    connected = true;
  }
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function partner() {
  return data.partners[exec.scenario.iterationInTest % data.partners.length];
}

function params(p) {
  return { metadata: { authorization: `Bearer ${p.token}` }, timeout: deadline };
}

function uuid() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}

function gate(customer, eligible) {
  connect();
  const p = partner();
  const res = validation.invoke(
    'gcc.validation.v1.CustomerValidationService/CheckEligibility',
    { customer: `customers/${customer(p)}`, offer_families: ['OFFER_FAMILY_OFFICE_365'] },
    params(p),
  );
  check(res, { 'verdict as expected': (r) => r.status === grpc.StatusOK && !!r.message.eligible === eligible });
}

export function gateValidated() {
  gate((p) => pick(p.validated), true);
}

export function gatePending() {
  gate((p) => pick(p.pending)[0], false);
}

function place(customer, offer, expected) {
  connect();
  const p = partner();
  const res = ordering.invoke(
    'gcc.ordering.v1.OrderingService/PlaceOrder',
    { order: { customer: `customers/${customer}`, lines: [{ offer: `offers/${offer}`, quantity: 5 }] }, request_id: uuid() },
    params(p),
  );
  check(res, { 'order answered as expected': (r) => r.status === expected });
}

export function orderGcc() {
  place(pick(partner().validated), 'o365-g3-gcc', grpc.StatusOK);
}

export function orderRefused() {
  place(pick(partner().pending)[0], 'o365-g3-gcc', grpc.StatusFailedPrecondition);
}

export function listGet() {
  connect();
  const p = partner();
  const customer = `customers/${pick(p.validated)}`;
  const list = ordering.invoke('gcc.ordering.v1.OrderingService/ListOrders', { page_size: 20, customer }, params(p));
  check(list, { 'listed': (r) => r.status === grpc.StatusOK });
  const name = list.message && list.message.orders && list.message.orders.length ? list.message.orders[0].name : p.orders[0];
  if (name) {
    const got = ordering.invoke('gcc.ordering.v1.OrderingService/GetOrder', { name }, params(p));
    check(got, { 'got': (r) => r.status === grpc.StatusOK });
  }
  const subs = ordering.invoke('gcc.ordering.v1.OrderingService/ListSubscriptions', { page_size: 20, customer }, params(p));
  check(subs, { 'subscriptions listed': (r) => r.status === grpc.StatusOK });
}
