// हिन्दी. Must hold exactly the keys of en.ts, with the same `{placeholders}`.

import type { MessageKey } from './en';

export const hi: Record<MessageKey, string> = {
  'app.screen.counter': 'काउंटर',
  'app.language': 'भाषा',

  'counter.search.label': 'उत्पाद खोजें',
  'counter.search.placeholder': 'नाम, ब्रांड या SKU लिखें',
  'counter.results.label': 'मिलते-जुलते उत्पाद',
  'counter.results.searching': 'खोज रहे हैं…',
  'counter.results.none': '“{query}” से कोई उत्पाद नहीं मिला',
  'counter.results.count': 'परिणाम: {count}',

  'keys.search': 'खोजें',
  'keys.move': 'ऊपर-नीचे',
  'keys.show': 'कीमत दिखाएँ',
  'keys.clear': 'साफ़ करें',

  'quote.label': 'कीमत का विवरण',
  'quote.empty.title': 'उत्पाद खोजें',
  'quote.empty.body': 'खोज बॉक्स में लिखें, फिर उसकी कीमत यहाँ देखने के लिए Enter दबाएँ।',
  'quote.price': 'कीमत',
  'quote.sku': 'SKU',
  'quote.region': 'क्षेत्र',
  'quote.face_value': 'अंकित मूल्य',
  'quote.category': 'श्रेणी',
  'quote.brand': 'ब्रांड',
  'quote.in_stock': 'स्टॉक में है',
  'quote.out_of_stock': 'स्टॉक में नहीं',
  'quote.discontinued': 'बंद हो चुका',
  'quote.redeem': 'कैसे भुनाएँ',

  'category.gift_card': 'गिफ़्ट कार्ड',
  'category.game_topup': 'गेम टॉप-अप',
  'category.mobile_topup': 'मोबाइल रिचार्ज',
  'category.software_key': 'सॉफ़्टवेयर कुंजी',

  'region.global': 'दुनिया भर में',

  'status.products': 'उत्पाद: {count}',
  'status.synced': 'कैटलॉग अपडेट: {time}',
  'status.never_synced': 'कैटलॉग अभी तक सिंक नहीं हुआ',

  'errors.database': 'दुकान का डेटाबेस जवाब नहीं दे रहा। फिर से कोशिश करें; बार-बार हो तो codetill को दोबारा शुरू करें।',
  'errors.validation': 'यह अनुरोध सही नहीं था।',
  'errors.unknown': 'कुछ गड़बड़ हो गई।',
  'errors.details': 'विवरण',
};
