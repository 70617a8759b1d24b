//! Products (with variants and their prices), categories and customers.
//!
//! A product is read with one statement joining its variants and prices (one consistent view
//! without a transaction); listings read the count and the page in one snapshot.

use async_trait::async_trait;
use commerce_core::catalog::{Category, Product, Variant};
use commerce_core::customer::{Customer, Email};
use commerce_core::ids::{CategoryId, CustomerId, ProductId, Sku};
use commerce_core::ports::storage::{
    CatalogStore, CustomerStore, Page, ProductQuery, StoreError, StoreResult,
};
use rust_decimal::Decimal;
use sqlx::{AssertSqlSafe, FromRow, MySqlConnection};

use crate::MySqlStore;
use crate::codec::{
    bound, from_json, money_column, parse_count, parse_currency, parse_id, parse_id_opt, parse_ts, parse_u32,
    placeholders, read_money, to_json, ts, value_rows,
};
use crate::error::{Fail, TxResult, db, is_unique};
use crate::tx::finish_read;

/// One row of a product joined with one variant and one of its prices.
#[derive(FromRow)]
struct ProductJoinRow {
    id: String,
    name: String,
    description: String,
    category_id: Option<String>,
    active: bool,
    images: String,
    attributes: String,
    sku: Option<String>,
    v_name: Option<String>,
    v_options: Option<String>,
    v_weight: Option<i64>,
    v_tax_class: Option<String>,
    v_active: Option<bool>,
    amount: Option<Decimal>,
    currency: Option<String>,
}

/// Product columns joined with variants and prices; callers add `WHERE`/`ORDER BY`.
const PRODUCT_JOIN: &str = "SELECT p.id, p.name, p.description, p.category_id, p.active, p.images, p.attributes, \
     v.sku, v.name AS v_name, v.options AS v_options, v.weight_grams AS v_weight, v.tax_class AS v_tax_class, \
     v.active AS v_active, vp.amount, vp.currency \
     FROM products p LEFT JOIN variants v ON v.product_id = p.id \
     LEFT JOIN variant_prices vp ON vp.sku = v.sku";

/// Builds products from joined rows ordered by product, variant position, price position.
fn assemble(rows: Vec<ProductJoinRow>) -> StoreResult<Vec<Product>> {
    let mut out: Vec<Product> = Vec::new();
    let mut current_id: Option<String> = None;
    let mut current_sku: Option<String> = None;
    for r in rows {
        if current_id.as_deref() != Some(r.id.as_str()) {
            out.push(Product {
                id: parse_id(&r.id)?,
                name: r.name,
                description: r.description,
                category: parse_id_opt(r.category_id.as_deref())?,
                images: from_json(&r.images, "product images")?,
                attributes: from_json(&r.attributes, "product attributes")?,
                variants: Vec::new(),
                active: r.active,
            });
            current_id = Some(r.id);
            current_sku = None;
        }
        let Some(product) = out.last_mut() else { continue };
        let Some(sku) = r.sku else { continue };
        if current_sku.as_deref() != Some(sku.as_str()) {
            product.variants.push(Variant {
                sku: parse_id(&sku)?,
                name: r.v_name.unwrap_or_default(),
                options: from_json(r.v_options.as_deref().unwrap_or("{}"), "variant options")?,
                prices: Vec::new(),
                weight_grams: parse_u32(r.v_weight.unwrap_or(0), "variant weight")?,
                tax_class: parse_id(r.v_tax_class.as_deref().unwrap_or_default())?,
                active: r.v_active.unwrap_or(false),
            });
            current_sku = Some(sku);
        }
        if let (Some(amount), Some(currency), Some(variant)) =
            (r.amount, r.currency, product.variants.last_mut())
        {
            variant.prices.push(read_money(amount, parse_currency(&currency)?));
        }
    }
    Ok(out)
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

/// A product encoded for its rows, outside the transaction.
struct EncodedProduct {
    id: String,
    images: String,
    attributes: String,
    variants: Vec<(String, i64, String, i64, String, bool)>,
    prices: Vec<(String, i64, Decimal, &'static str)>,
}

impl EncodedProduct {
    fn encode(p: &Product) -> StoreResult<Self> {
        let mut variants = Vec::with_capacity(p.variants.len());
        let mut prices = Vec::new();
        for (position, v) in p.variants.iter().enumerate() {
            variants.push((
                v.sku.as_str().to_owned(),
                bound(position as u64),
                to_json(&v.options)?,
                i64::from(v.weight_grams),
                v.tax_class.as_str().to_owned(),
                v.active,
            ));
            for (i, price) in v.prices.iter().enumerate() {
                prices.push((
                    v.sku.as_str().to_owned(),
                    bound(i as u64),
                    money_column(price.amount())?,
                    price.currency().code(),
                ));
            }
        }
        Ok(EncodedProduct {
            id: p.id.to_string(),
            images: to_json(&p.images)?,
            attributes: to_json(&p.attributes)?,
            variants,
            prices,
        })
    }

    async fn write(&self, p: &Product, tx: &mut MySqlConnection) -> TxResult<()> {
        sqlx::query(
            "INSERT INTO products (id, name, description, name_lower, description_lower, category_id, active, images, attributes) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE name = VALUES(name), description = VALUES(description), \
             name_lower = VALUES(name_lower), description_lower = VALUES(description_lower), \
             category_id = VALUES(category_id), active = VALUES(active), images = VALUES(images), \
             attributes = VALUES(attributes)",
        )
        .bind(&self.id)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.name.to_lowercase())
        .bind(p.description.to_lowercase())
        .bind(p.category.map(|c| c.to_string()))
        .bind(p.active)
        .bind(&self.images)
        .bind(&self.attributes)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM variant_prices WHERE product_id = ?")
            .bind(&self.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM variants WHERE product_id = ?").bind(&self.id).execute(&mut *tx).await?;
        if !self.variants.is_empty() {
            let sql = format!(
                "INSERT INTO variants (sku, product_id, position, name, options, weight_grams, tax_class, active) VALUES {}",
                value_rows(self.variants.len(), 8)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for ((sku, position, options, weight, tax_class, active), v) in
                self.variants.iter().zip(&p.variants)
            {
                q = q
                    .bind(sku)
                    .bind(&self.id)
                    .bind(position)
                    .bind(&v.name)
                    .bind(options)
                    .bind(weight)
                    .bind(tax_class)
                    .bind(active);
            }
            if let Err(e) = q.execute(&mut *tx).await {
                return Err(if is_unique(&e) { self.sku_conflict(tx).await } else { e.into() });
            }
        }
        if !self.prices.is_empty() {
            let sql = format!(
                "INSERT INTO variant_prices (sku, position, product_id, amount, currency) VALUES {}",
                value_rows(self.prices.len(), 5)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (sku, position, amount, currency) in &self.prices {
                q = q.bind(sku).bind(position).bind(&self.id).bind(amount).bind(*currency);
            }
            q.execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// The `Conflict` for a variant insert that hit an existing SKU (names the SKU).
    async fn sku_conflict(&self, tx: &mut MySqlConnection) -> Fail {
        let skus: Vec<&str> = self.variants.iter().map(|v| v.0.as_str()).collect();
        let sql = format!(
            "SELECT sku FROM variants WHERE product_id <> ? AND sku IN ({}) ORDER BY sku LIMIT 1",
            placeholders(skus.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql)).bind(&self.id);
        for s in &skus {
            q = q.bind(*s);
        }
        match q.fetch_optional(&mut *tx).await {
            // No other owner: the product lists one SKU twice.
            Ok(found) => Fail::Store(StoreError::Conflict {
                entity: "sku",
                id: found.unwrap_or_else(|| skus.join(",")),
            }),
            Err(e) => e.into(),
        }
    }
}

/// The `WHERE` of product listings; binds: include_inactive, category x2, needle x3.
const PRODUCT_FILTER: &str = "(? OR p.active) AND (? IS NULL OR p.category_id = ?) \
     AND (? IS NULL OR LOCATE(?, p.name_lower) > 0 OR LOCATE(?, p.description_lower) > 0)";

#[async_trait]
impl CatalogStore for MySqlStore {
    async fn put_product(&self, product: &Product) -> StoreResult<()> {
        let encoded = EncodedProduct::encode(product)?;
        write!(self, |tx, _| encoded.write(product, tx).await)
    }

    async fn get_product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        let rows: Vec<ProductJoinRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{PRODUCT_JOIN} WHERE p.id = ? ORDER BY v.position, vp.position"
        )))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(assemble(rows)?.pop())
    }

    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>> {
        let rows: Vec<ProductJoinRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{PRODUCT_JOIN} WHERE p.id = (SELECT product_id FROM variants WHERE sku = ?) \
             ORDER BY v.position, vp.position"
        )))
        .bind(sku.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(assemble(rows)?.pop())
    }

    async fn delete_product(&self, id: ProductId) -> StoreResult<bool> {
        let id = id.to_string();
        write!(self, |tx, _| {
            let n = sqlx::query("DELETE FROM products WHERE id = ?").bind(&id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM variant_prices WHERE product_id = ?")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM variants WHERE product_id = ?").bind(&id).execute(&mut *tx).await?;
            Ok(n.rows_affected() > 0)
        })
    }

    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>> {
        let needle = q.text.as_deref().map(str::to_lowercase);
        let category = q.category.map(|c| c.to_string());
        let mut tx = self.snapshot().await?;
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM products p WHERE {PRODUCT_FILTER}"
        )))
        .bind(q.include_inactive)
        .bind(&category)
        .bind(&category)
        .bind(&needle)
        .bind(&needle)
        .bind(&needle)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let rows: Vec<ProductJoinRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{PRODUCT_JOIN} JOIN (SELECT p.id FROM products p WHERE {PRODUCT_FILTER} \
             ORDER BY p.name, p.id LIMIT ? OFFSET ?) page ON page.id = p.id \
             ORDER BY p.name, p.id, v.position, vp.position"
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
        finish_read(tx).await?;
        Ok(Page { items: assemble(rows)?, total: parse_count(total) })
    }

    async fn put_category(&self, category: &Category) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO categories (id, name, slug, parent_id, position) VALUES (?, ?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE name = VALUES(name), slug = VALUES(slug), \
             parent_id = VALUES(parent_id), position = VALUES(position)",
        )
        .bind(category.id.to_string())
        .bind(&category.name)
        .bind(&category.slug)
        .bind(category.parent.map(|p| p.to_string()))
        .bind(i64::from(category.position))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_category(&self, id: CategoryId) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM categories WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n > 0)
    }

    async fn list_categories(&self) -> StoreResult<Vec<Category>> {
        let rows: Vec<CategoryRow> =
            sqlx::query_as("SELECT id, name, slug, parent_id, position FROM categories ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.into_iter().map(CategoryRow::into_domain).collect()
    }
}

#[async_trait]
impl CustomerStore for MySqlStore {
    async fn put_customer(&self, customer: &Customer) -> StoreResult<()> {
        let id = customer.id.to_string();
        let created_at = ts(customer.created_at)?;
        let group = customer.group.as_ref().map(|g| g.as_str().to_owned());
        let email = customer.email.as_str();
        let email_conflict = || StoreError::Conflict { entity: "customer email", id: email.to_owned() };
        write!(self, |tx, _| {
            // Update in place, else insert. (Not ON DUPLICATE KEY UPDATE: with two unique keys it
            // would update whichever row holds the email.)
            for _ in 0..2 {
                let updated = sqlx::query(
                    "UPDATE customers SET email = ?, name = ?, group_id = ?, created_at = ? WHERE id = ?",
                )
                .bind(email)
                .bind(&customer.name)
                .bind(&group)
                .bind(&created_at)
                .bind(&id)
                .execute(&mut *tx)
                .await;
                match updated {
                    Ok(r) if r.rows_affected() > 0 => return Ok(()),
                    Ok(_) => {}
                    Err(e) if is_unique(&e) => return Err(email_conflict().into()),
                    Err(e) => return Err(e.into()),
                }
                let inserted = sqlx::query(
                    "INSERT INTO customers (id, email, name, group_id, created_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(email)
                .bind(&customer.name)
                .bind(&group)
                .bind(&created_at)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Ok(_) => return Ok(()),
                    Err(e) if is_unique(&e) => {
                        let other: Option<String> =
                            sqlx::query_scalar("SELECT id FROM customers WHERE email = ? AND id <> ?")
                                .bind(email)
                                .bind(&id)
                                .fetch_optional(&mut *tx)
                                .await?;
                        if other.is_some() {
                            return Err(email_conflict().into());
                        }
                        // A concurrent call inserted this id first: update it instead.
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(email_conflict().into())
        })
    }

    async fn get_customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let row: Option<CustomerRow> =
            sqlx::query_as("SELECT id, email, name, group_id, created_at FROM customers WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(CustomerRow::into_domain).transpose()
    }

    async fn customer_by_email(&self, email: &Email) -> StoreResult<Option<Customer>> {
        let row: Option<CustomerRow> =
            sqlx::query_as("SELECT id, email, name, group_id, created_at FROM customers WHERE email = ?")
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(CustomerRow::into_domain).transpose()
    }
}
