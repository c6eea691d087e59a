-- An online shop over three years: regions, customers, categories, products, orders and about
-- a million order lines. Deterministic: every "random" value is a hash of a row id and a salt.
CREATE TEMP MACRO rnd(i, salt) AS (hash(i, salt) % 1000003) / 1000003.0;
CREATE TEMP MACRO pick(arr, i, salt) AS arr[1 + CAST(floor(rnd(i, salt) * len(arr)) AS INTEGER)];

CREATE TABLE regions AS
SELECT * FROM (VALUES
    (1, 'North America', 'United States', 'USD'),
    (2, 'North America', 'Canada', 'CAD'),
    (3, 'Europe', 'Germany', 'EUR'),
    (4, 'Europe', 'France', 'EUR'),
    (5, 'Europe', 'United Kingdom', 'GBP'),
    (6, 'Asia Pacific', 'Japan', 'JPY'),
    (7, 'Asia Pacific', 'Australia', 'AUD'),
    (8, 'Latin America', 'Brazil', 'BRL')
) AS t(region_id, region, country, currency);

CREATE TABLE categories AS
SELECT * FROM (VALUES
    (1, 'Electronics', ['Headphones', 'Speaker', 'Charger', 'Keyboard', 'Monitor', 'Webcam']),
    (2, 'Home & Kitchen', ['Kettle', 'Pan', 'Knife Set', 'Blender', 'Mug', 'Lamp']),
    (3, 'Outdoors', ['Tent', 'Backpack', 'Water Bottle', 'Headlamp', 'Sleeping Bag']),
    (4, 'Fashion', ['Jacket', 'Sneakers', 'Scarf', 'T-Shirt', 'Jeans', 'Cap']),
    (5, 'Books', ['Novel', 'Cookbook', 'Atlas', 'Biography', 'Comic']),
    (6, 'Toys', ['Puzzle', 'Board Game', 'Building Set', 'Plush Bear', 'Kite']),
    (7, 'Beauty', ['Shampoo', 'Face Cream', 'Perfume', 'Lip Balm']),
    (8, 'Sports', ['Yoga Mat', 'Dumbbell', 'Tennis Racket', 'Football', 'Bike Helmet'])
) AS t(category_id, category, nouns);

CREATE TABLE products AS
SELECT
    p.i AS product_id,
    pick(['Classic', 'Pro', 'Eco', 'Compact', 'Deluxe', 'Smart', 'Urban', 'Nordic'], p.i, 'adj')
        || ' ' || pick(c.nouns, p.i, 'noun') || ' ' || (100 + p.i % 900) AS product_name,
    c.category_id,
    c.category,
    CAST(round(4 + pow(rnd(p.i, 'price'), 2) * 496, 2) AS DECIMAL(10, 2)) AS list_price,
    DATE '2022-06-01' + CAST(floor(rnd(p.i, 'launch') * 900) AS INTEGER) AS launched_on
FROM range(1, 2001) AS p(i)
JOIN categories c ON c.category_id = 1 + p.i % 8;

CREATE TABLE customers AS
SELECT
    c.i AS customer_id,
    pick(['Ada', 'Ben', 'Chloe', 'Diego', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas',
          'Kira', 'Liam', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara'],
         c.i, 'first')
        || ' ' || pick(['Smith', 'Garcia', 'Müller', 'Martin', 'Tanaka', 'Silva', 'Brown',
                        'Dubois', 'Rossi', 'Kowalski', 'Nguyen', 'Okafor', 'Larsen', 'Costa'],
                       c.i, 'last') AS customer_name,
    'customer' || c.i || '@example.com' AS email,
    r.region_id,
    r.region,
    r.country,
    pick(['Consumer', 'Consumer', 'Consumer', 'Small Business', 'Enterprise'], c.i, 'segment')
        AS segment,
    DATE '2022-01-01' + CAST(floor(rnd(c.i, 'signup') * 1460) AS INTEGER) AS signed_up_on
FROM range(1, 50001) AS c(i)
JOIN regions r ON r.region_id = 1 + CAST(floor(pow(rnd(c.i, 'region'), 1.6) * 8) AS INTEGER);

-- Orders grow over time (density rises over time), with a little weekly seasonality.
CREATE TABLE orders AS
SELECT
    o.i AS order_id,
    1 + CAST(floor(rnd(o.i, 'customer') * 50000) AS INTEGER) AS customer_id,
    TIMESTAMP '2023-01-01 00:00:00'
        + to_seconds(CAST(floor(pow(rnd(o.i, 'when'), 0.7) * 94608000) AS BIGINT)) AS ordered_at,
    pick(['web', 'web', 'web', 'mobile', 'mobile', 'marketplace'], o.i, 'channel') AS channel,
    CASE
        WHEN rnd(o.i, 'status') < 0.04 THEN 'cancelled'
        WHEN rnd(o.i, 'status') < 0.09 THEN 'returned'
        ELSE 'delivered'
    END AS status
FROM range(1, 330001) AS o(i);

CREATE TABLE order_lines AS
SELECT
    row_number() OVER (ORDER BY o.order_id, k.n) AS order_line_id,
    o.order_id,
    1 + CAST(floor(pow(rnd(o.order_id * 8 + k.n, 'product'), 1.4) * 2000) AS INTEGER)
        AS product_id,
    1 + CAST(floor(pow(rnd(o.order_id * 8 + k.n, 'qty'), 3) * 6) AS INTEGER) AS quantity,
    CASE WHEN rnd(o.order_id * 8 + k.n, 'disc') < 0.2 THEN 0.1
         WHEN rnd(o.order_id * 8 + k.n, 'disc') < 0.25 THEN 0.25
         ELSE 0 END AS discount
FROM orders o
JOIN range(0, 6) AS k(n) ON k.n < 1 + CAST(floor(rnd(o.order_id, 'lines') * 5) AS INTEGER);

ALTER TABLE order_lines ADD COLUMN unit_price DECIMAL(10, 2);
UPDATE order_lines SET unit_price = p.list_price FROM products p
WHERE p.product_id = order_lines.product_id;
ALTER TABLE order_lines ADD COLUMN line_total DECIMAL(12, 2);
UPDATE order_lines SET line_total = round(quantity * unit_price * (1 - discount), 2);

CREATE VIEW sales AS
SELECT
    l.order_line_id, o.order_id, o.ordered_at, CAST(o.ordered_at AS DATE) AS order_date,
    o.channel, o.status, c.customer_id, c.segment, c.region, c.country,
    p.product_id, p.product_name, p.category, l.quantity, l.unit_price, l.discount, l.line_total
FROM order_lines l
JOIN orders o USING (order_id)
JOIN customers c USING (customer_id)
JOIN products p USING (product_id);

ALTER TABLE categories DROP COLUMN nouns;

COMMENT ON TABLE orders IS 'One row per order, 2023 to 2025.';
COMMENT ON TABLE order_lines IS 'One row per product in an order.';
COMMENT ON VIEW sales IS 'Order lines joined with their order, customer and product.';
