//! Products (with variants and their prices), categories and customers.

use async_trait::async_trait;
use commerce_core::catalog::{Category, Product, Variant};
use commerce_core::customer::{Customer, Email};
use commerce_core::ids::{CategoryId, CustomerId, ProductId, Sku};
use commerce_core::money::Money;
use commerce_core::ports::storage::{
    CatalogStore, CustomerStore, Page, ProductQuery, StoreError, StoreResult,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, FromRow, SqliteConnection};

use super::codec::{
    bound, dec, from_json, parse_currency, parse_id, parse_id_opt, parse_money, parse_ts, parse_u32, to_json,
    ts,
};
use super::error::{db, unique_or};
use super::{SqliteStore, commit};

/// Ids bound per `IN (...)` list.
const CHUNK: usize = 500;

#[derive(FromRow)]
struct ProductRow {
    id: String,
    name: String,
    description: String,
    category_id: Option<String>,
    active: bool,
    images: String,
    attributes: String,
}

#[derive(FromRow)]
struct VariantRow {
    product_id: String,
    sku: String,
    name: String,
    options: String,
    weight_grams: i64,
    tax_class: String,
    active: bool,
}

#[derive(FromRow)]
struct PriceRow {
    sku: String,
    amount: String,
    currency: String,
}

#[derive(FromRow)]
struct CategoryRow {
    id: String,
    name: String,
    slug: String,
    parent_id: Option<String>,
    position: i64,
}

impl CategoryRow {
    fn into_domain(self) -> StoreResult<Category> {
        Ok(Category {
            id: parse_id(&self.id)?,
            name: self.name,
            slug: self.slug,
            parent: parse_id_opt(self.parent_id.as_deref())?,
            position: parse_u32(self.position, "category position")?,
        })
    }
}

#[derive(FromRow)]
struct CustomerRow {
    id: String,
    email: String,
    name: String,
    group_id: Option<String>,
    created_at: String,
}

impl CustomerRow {
    fn into_domain(self) -> StoreResult<Customer> {
        Ok(Customer {
            id: parse_id(&self.id)?,
            email: Email::parse(&self.email).map_err(|e| StoreError::Data(e.to_string()))?,
            name: self.name,
            group: parse_id_opt(self.group_id.as_deref())?,
            created_at: parse_ts(&self.created_at)?,
        })
    }
}

const PRODUCT_COLUMNS: &str = "id, name, description, category_id, active, images, attributes";

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

async fn fetch_all<T>(conn: &mut SqliteConnection, sql: String, binds: &[String]) -> StoreResult<Vec<T>>
where
    T: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
{
    let mut q = sqlx::query_as::<_, T>(AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b.as_str());
    }
    q.fetch_all(conn).await.map_err(db)
}

/// Builds products from their rows, loading variants and prices in batches.
async fn load_products(conn: &mut SqliteConnection, rows: Vec<ProductRow>) -> StoreResult<Vec<Product>> {
    let mut variants: Vec<VariantRow> = Vec::new();
    let mut prices: Vec<PriceRow> = Vec::new();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    for chunk in ids.chunks(CHUNK) {
        let list = placeholders(chunk.len());
        variants.extend(
            fetch_all::<VariantRow>(
                conn,
                format!(
                    "SELECT product_id, sku, name, options, weight_grams, tax_class, active FROM variants \
                     WHERE product_id IN ({list}) ORDER BY product_id, position"
                ),
                chunk,
            )
            .await?,
        );
        prices.extend(
            fetch_all::<PriceRow>(
                conn,
                format!(
                    "SELECT p.sku, p.amount, p.currency FROM variant_prices p JOIN variants v ON v.sku = p.sku \
                     WHERE v.product_id IN ({list}) ORDER BY p.sku, p.position"
                ),
                chunk,
            )
            .await?,
        );
    }
    let mut price_map: std::collections::HashMap<String, Vec<Money>> = Default::default();
    for p in prices {
        let m = parse_money(&p.amount, parse_currency(&p.currency)?)?;
        price_map.entry(p.sku).or_default().push(m);
    }
    let mut variant_map: std::collections::HashMap<String, Vec<Variant>> = Default::default();
    for v in variants {
        let variant = Variant {
            sku: parse_id(&v.sku)?,
            name: v.name,
            options: from_json(&v.options, "variant options")?,
            prices: price_map.remove(&v.sku).unwrap_or_default(),
            weight_grams: parse_u32(v.weight_grams, "variant weight")?,
            tax_class: parse_id(&v.tax_class)?,
            active: v.active,
        };
        variant_map.entry(v.product_id).or_default().push(variant);
    }
    rows.into_iter()
        .map(|r| {
            Ok(Product {
                id: parse_id(&r.id)?,
                variants: variant_map.remove(&r.id).unwrap_or_default(),
                name: r.name,
                description: r.description,
                category: parse_id_opt(r.category_id.as_deref())?,
                images: from_json(&r.images, "product images")?,
                attributes: from_json(&r.attributes, "product attributes")?,
                active: r.active,
            })
        })
        .collect()
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn put_product(&self, product: &Product) -> StoreResult<()> {
        let id = product.id.to_string();
        let images = to_json(&product.images)?;
        let attributes = to_json(&product.attributes)?;
        let mut tx = self.write().await?;
        for v in &product.variants {
            let owner: Option<String> = sqlx::query_scalar("SELECT product_id FROM variants WHERE sku = ?")
                .bind(v.sku.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
            if owner.is_some_and(|o| o != id) {
                return Err(StoreError::Conflict { entity: "sku", id: v.sku.to_string() });
            }
        }
        sqlx::query(
            "INSERT INTO products (id, name, description, name_lower, description_lower, category_id, active, images, attributes) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, \
             name_lower = excluded.name_lower, description_lower = excluded.description_lower, \
             category_id = excluded.category_id, active = excluded.active, images = excluded.images, \
             attributes = excluded.attributes",
        )
        .bind(&id)
        .bind(&product.name)
        .bind(&product.description)
        .bind(product.name.to_lowercase())
        .bind(product.description.to_lowercase())
        .bind(product.category.map(|c| c.to_string()))
        .bind(product.active)
        .bind(images)
        .bind(attributes)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("DELETE FROM variants WHERE product_id = ?")
            .bind(&id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for (position, v) in product.variants.iter().enumerate() {
            sqlx::query(
                "INSERT INTO variants (sku, product_id, position, name, options, weight_grams, tax_class, active) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(v.sku.as_str())
            .bind(&id)
            .bind(bound(position as u64))
            .bind(&v.name)
            .bind(to_json(&v.options)?)
            .bind(i64::from(v.weight_grams))
            .bind(v.tax_class.as_str())
            .bind(v.active)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_or(e, "sku", &v.sku))?;
            for (i, price) in v.prices.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO variant_prices (sku, position, amount, currency) VALUES (?, ?, ?, ?)",
                )
                .bind(v.sku.as_str())
                .bind(bound(i as u64))
                .bind(dec(price.amount()))
                .bind(price.currency().code())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
        }
        commit(tx).await
    }

    async fn get_product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        let mut tx = self.read().await?;
        let row: Option<ProductRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?")))
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        Ok(load_products(&mut tx, vec![row]).await?.pop())
    }

    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>> {
        let mut tx = self.read().await?;
        let row: Option<ProductRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = (SELECT product_id FROM variants WHERE sku = ?)"
        )))
        .bind(sku.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        Ok(load_products(&mut tx, vec![row]).await?.pop())
    }

    async fn delete_product(&self, id: ProductId) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query("DELETE FROM products WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        commit(tx).await?;
        Ok(n > 0)
    }

    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>> {
        let needle = q.text.as_deref().map(str::to_lowercase);
        let category = q.category.map(|c| c.to_string());
        const FILTER: &str = "(? OR active = 1) AND (? IS NULL OR category_id = ?) \
             AND (? IS NULL OR instr(name_lower, ?) > 0 OR instr(description_lower, ?) > 0)";
        let mut tx = self.read().await?;
        let total: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM products WHERE {FILTER}")))
                .bind(q.include_inactive)
                .bind(&category)
                .bind(&category)
                .bind(&needle)
                .bind(&needle)
                .bind(&needle)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let rows: Vec<ProductRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE {FILTER} ORDER BY name, id LIMIT ? OFFSET ?"
        )))
        .bind(q.include_inactive)
        .bind(&category)
        .bind(&category)
        .bind(&needle)
        .bind(&needle)
        .bind(&needle)
        .bind(bound(q.limit))
        .bind(bound(q.offset))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let items = load_products(&mut tx, rows).await?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
    }

    async fn put_category(&self, category: &Category) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO categories (id, name, slug, parent_id, position) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, slug = excluded.slug, \
             parent_id = excluded.parent_id, position = excluded.position",
        )
        .bind(category.id.to_string())
        .bind(&category.name)
        .bind(&category.slug)
        .bind(category.parent.map(|p| p.to_string()))
        .bind(i64::from(category.position))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        commit(tx).await
    }

    async fn delete_category(&self, id: CategoryId) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query("DELETE FROM categories WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        commit(tx).await?;
        Ok(n > 0)
    }

    async fn list_categories(&self) -> StoreResult<Vec<Category>> {
        let rows: Vec<CategoryRow> =
            sqlx::query_as("SELECT id, name, slug, parent_id, position FROM categories ORDER BY id")
                .fetch_all(self.reader())
                .await
                .map_err(db)?;
        rows.into_iter().map(CategoryRow::into_domain).collect()
    }
}

#[async_trait]
impl CustomerStore for SqliteStore {
    async fn put_customer(&self, customer: &Customer) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO customers (id, email, name, group_id, created_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, \
             group_id = excluded.group_id, created_at = excluded.created_at",
        )
        .bind(customer.id.to_string())
        .bind(customer.email.as_str())
        .bind(&customer.name)
        .bind(customer.group.as_ref().map(|g| g.as_str().to_owned()))
        .bind(ts(customer.created_at)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_or(e, "customer email", &customer.email))?;
        commit(tx).await
    }

    async fn get_customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let row: Option<CustomerRow> =
            sqlx::query_as("SELECT id, email, name, group_id, created_at FROM customers WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(self.reader())
                .await
                .map_err(db)?;
        row.map(CustomerRow::into_domain).transpose()
    }

    async fn customer_by_email(&self, email: &Email) -> StoreResult<Option<Customer>> {
        let row: Option<CustomerRow> =
            sqlx::query_as("SELECT id, email, name, group_id, created_at FROM customers WHERE email = ?")
                .bind(email.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(db)?;
        row.map(CustomerRow::into_domain).transpose()
    }
}
