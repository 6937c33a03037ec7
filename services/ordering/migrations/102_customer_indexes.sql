-- A list filtered by customer walks that customer's orders or subscriptions in id order
-- (a customer has few partners), instead of every order the partner ever placed.

CREATE INDEX orders_by_customer ON orders (customer_tenant, id);
CREATE INDEX subscriptions_by_customer ON subscriptions (customer_tenant, id);
