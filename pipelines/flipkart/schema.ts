/** The Flipkart catalogue's columns and row types. */
import type { CsvRowOf } from "../../lib/io/csv/schema";

/** The Kaggle "flipkart-products" columns (all read as text). */
export const FLIPKART_SCHEMA = {
  uniq_id: "string",
  crawl_timestamp: "string",
  product_url: "string",
  product_name: "string",
  product_category_tree: "string",
  pid: "string",
  retail_price: "string",
  discounted_price: "string",
  image: "string",
  is_FK_Advantage_product: "string",
  description: "string",
  product_rating: "string",
  overall_rating: "string",
  brand: "string",
  product_specifications: "string",
} as const;

/** One input row. */
export type RawProduct = CsvRowOf<typeof FLIPKART_SCHEMA>;

/** A product after the text steps: specifications and tree replaced by attributes and levels. */
export type CleanedProduct = Omit<RawProduct, "product_specifications" | "product_category_tree"> & {
  readonly attributes: string;
  readonly categories: readonly string[];
};

/** A product with its image: what is written. */
export type CatalogueProduct = CleanedProduct & { readonly image_uri: string };

/** The output columns before the category levels, in order. */
export const BASE_COLUMNS = [
  "uniq_id",
  "crawl_timestamp",
  "product_url",
  "product_name",
  "pid",
  "retail_price",
  "discounted_price",
  "image",
  "is_FK_Advantage_product",
  "description",
  "product_rating",
  "overall_rating",
  "brand",
  "image_uri",
  "attributes",
] as const;
