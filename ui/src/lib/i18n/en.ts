// English: the reference catalog. Every key here must exist in hi.ts (the type says so,
// and i18n.test.ts checks placeholders). `{name}` marks a placeholder.

export const en = {
  'app.screen.counter': 'Counter',
  'app.language': 'Language',

  'counter.search.label': 'Search products',
  'counter.search.placeholder': 'Type a name, brand or SKU',
  'counter.results.label': 'Matching products',
  'counter.results.searching': 'Searching…',
  'counter.results.none': 'No products match “{query}”',
  'counter.results.count': 'Results: {count}',

  'keys.search': 'Search',
  'keys.move': 'Move',
  'keys.show': 'Show price',
  'keys.clear': 'Clear',

  'quote.label': 'Price quote',
  'quote.empty.title': 'Find a product',
  'quote.empty.body': 'Type in the search box, then press Enter to show its price here.',
  'quote.price': 'Price',
  'quote.sku': 'SKU',
  'quote.region': 'Region',
  'quote.face_value': 'Face value',
  'quote.category': 'Category',
  'quote.brand': 'Brand',
  'quote.in_stock': 'In stock',
  'quote.out_of_stock': 'Out of stock',
  'quote.discontinued': 'Discontinued',
  'quote.redeem': 'How to redeem',

  'category.gift_card': 'Gift card',
  'category.game_topup': 'Game top-up',
  'category.mobile_topup': 'Mobile top-up',
  'category.software_key': 'Software key',

  'region.global': 'Worldwide',

  'status.products': 'Products: {count}',
  'status.synced': 'Catalog updated {time}',
  'status.never_synced': 'Catalog never synced',

  'errors.database': 'The shop’s database did not answer. Try again; if it keeps failing, restart codetill.',
  'errors.validation': 'That request was not valid.',
  'errors.unknown': 'Something went wrong.',
  'errors.details': 'Details',
} as const;

export type MessageKey = keyof typeof en;
