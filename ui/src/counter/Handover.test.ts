import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { DeliveryStatus, Handover as HandoverItem } from '../lib/types';
import { STEAM_20 } from '../test/catalog';
import { deliveredOrder, handover, mockShop, RECEIPT_TEXT } from '../test/shop';
import Counter from './Counter.svelte';
import Delivery from './Delivery.svelte';
import Handover from './Handover.svelte';

const ORDER = deliveredOrder(STEAM_20, '2000.00', '101.00');
const panel = () => within(screen.getByTestId('handover'));
const receiptLine = () => screen.getByTestId('receipt-line');
const emailLines = () => screen.getAllByTestId('email-line').map((l) => l.textContent?.replace(/\s+/g, ' ').trim());
const key = (k: string) => fireEvent.keyDown(document.activeElement ?? window, { key: k });

function showDelivery(email: string | null = null) {
  return render(Delivery, { order: ORDER, email, onnext: () => {} });
}

/** A promise the test settles by hand, to see the screen while a command runs. */
function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the receipt line', () => {
  it('says the receipt printed, and P reprints it (numbered)', async () => {
    const shop = mockShop();
    showDelivery();
    await waitFor(() => expect(receiptLine().textContent).toContain('Printed ✓'));
    expect(shop.of('delivery_status')[0]?.args).toEqual({ order: 'ORD-000042' });

    await key('p');
    await waitFor(() => expect(receiptLine().textContent).toContain('Reprint #1 printed ✓'));
    expect(shop.of('print_receipt')).toEqual([{ cmd: 'print_receipt', args: { order: 'ORD-000042' } }]);
  });

  it('not printed: the printer’s problem in a warning, Reprint prints it, "Printing…" meanwhile', async () => {
    const job = deferred<HandoverItem>();
    mockShop(
      { print_receipt: () => job.promise },
      { items: [handover({ id: 1, kind: 'print', status: 'queued', attempts: 2, last_error: 'printer is off', sent_at: null })] },
    );
    showDelivery();
    await waitFor(() => expect(receiptLine().textContent).toContain('Not printed — printer: printer is off'));
    expect(within(receiptLine()).getByText(/Not printed/).className).toContain('warn');

    await fireEvent.click(within(receiptLine()).getByRole('button', { name: 'Reprint' }));
    expect(receiptLine().textContent).toContain('Printing…');
    expect((panel().getByRole('button', { name: /Printing…/ }) as HTMLButtonElement).disabled).toBe(true);

    job.resolve(handover({ id: 1, kind: 'print', attempts: 3 }));
    await waitFor(() => expect(receiptLine().textContent).toContain('Printed ✓'));
    expect(within(receiptLine()).queryByRole('button', { name: 'Reprint' })).toBeNull();
  });

  it('no printer set up: says so, muted, and Print (and P) does nothing', async () => {
    const shop = mockShop({}, { printer: null, items: [] });
    showDelivery();
    await waitFor(() => expect(receiptLine().textContent).toContain('No printer set up'));
    expect((panel().getByRole('button', { name: /^Print/ }) as HTMLButtonElement).disabled).toBe(true);
    await key('P');
    expect(shop.of('print_receipt')).toEqual([]);
  });

  it('a failed print command reads plainly, translated by its code', async () => {
    mockShop({
      print_receipt: () => {
        throw { code: 'errors.delivery', message: 'printer "tcp:10.0.0.9:9100" is not a usable setting' };
      },
    });
    showDelivery();
    await waitFor(() => expect(receiptLine().textContent).toContain('Printed ✓'));
    await fireEvent.click(panel().getByRole('button', { name: /^Print/ }));
    const alert = await panel().findByRole('alert');
    expect(alert.textContent).toContain('Could not print.');
    expect(alert.textContent).toContain('The printer or the mail server could not be used.');
    expect(alert.textContent).toContain('Details: printer "tcp:10.0.0.9:9100" is not a usable setting');
  });
});

describe('the email', () => {
  it('lists each email: not sent yet with the reason, sent, failed', async () => {
    mockShop(
      {},
      {
        items: [
          handover({ id: 1, kind: 'print' }),
          handover({ id: 2, kind: 'email', destination: 'a@b.in', status: 'queued', attempts: 1, last_error: 'no mail server is set up' }),
          handover({ id: 3, kind: 'email', destination: 'c@d.in' }),
          handover({ id: 4, kind: 'email', destination: 'e@f.in', status: 'failed', attempts: 5, last_error: '550 mailbox unavailable' }),
        ],
      },
    );
    showDelivery('a@b.in');
    await waitFor(() => expect(emailLines()).toHaveLength(3));
    expect(emailLines()).toEqual([
      'Email Not sent yet to a@b.in — no mail server is set up',
      'Email Sent to c@d.in ✓',
      'Email Failed to send to e@f.in — 550 mailbox unavailable',
    ]);
  });

  it('E opens the address field, prefilled with the sale’s address; Enter sends to it', async () => {
    const shop = mockShop(
      {},
      { items: [handover({ id: 1, kind: 'print' }), handover({ id: 2, kind: 'email', destination: 'asha@example.com' })] },
    );
    showDelivery('asha@example.com');
    await waitFor(() => expect(emailLines()).toEqual(['Email Sent to asha@example.com ✓']));

    await key('e');
    const field = (await panel().findByLabelText('Email the code to')) as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(field));
    expect(field.value).toBe('asha@example.com');

    await fireEvent.input(field, { target: { value: 'ravi@example.com' } });
    // Letters typed into the field are not the screen's keys.
    await fireEvent.keyDown(field, { key: 'p' });
    await fireEvent.keyDown(field, { key: 'r' });
    expect(shop.of('print_receipt')).toEqual([]);
    expect(screen.queryByTestId('receipt-preview')).toBeNull();

    await fireEvent.keyDown(field, { key: 'Enter' });
    await waitFor(() => expect(panel().queryByLabelText('Email the code to')).toBeNull());
    expect(shop.of('email_code')).toEqual([{ cmd: 'email_code', args: { order: 'ORD-000042', to: 'ravi@example.com' } }]);
    expect(emailLines()).toEqual([
      'Email Sent to asha@example.com ✓',
      'Email Not sent yet to ravi@example.com — no mail server is set up',
    ]);
    // Back on "Next sale", so Enter means the next sale again.
    expect(document.activeElement).toBe(screen.getByRole('button', { name: /Next sale/ }));
  });

  it('with no address at the sale the field starts empty; a bad address keeps it open with the reason', async () => {
    const shop = mockShop();
    showDelivery();
    await waitFor(() => expect(emailLines()).toEqual(['Email No email for this sale']));
    await fireEvent.click(panel().getByRole('button', { name: /^Email/ }));
    const field = (await panel().findByLabelText('Email the code to')) as HTMLInputElement;
    expect(field.value).toBe('');
    expect(panel().getByText('No mail server is set up: emails wait until one is.')).toBeTruthy();

    await fireEvent.input(field, { target: { value: 'not-an-address' } });
    await fireEvent.click(panel().getByRole('button', { name: /^Send/ }));
    const alert = await panel().findByRole('alert');
    expect(alert.textContent).toContain('Could not send the email.');
    expect(alert.textContent).toContain('That request was not valid.');
    expect(alert.textContent).toContain('"not-an-address" is not an email address');
    expect(panel().getByLabelText('Email the code to')).toBeTruthy();
    expect(shop.of('email_code')).toHaveLength(1);
  });

  it('Esc closes the field without sending', async () => {
    const shop = mockShop();
    showDelivery('asha@example.com');
    await key('E');
    const field = await panel().findByLabelText('Email the code to');
    expect((field as HTMLInputElement).value).toBe('asha@example.com');
    await fireEvent.keyDown(field, { key: 'Escape' });
    expect(panel().queryByLabelText('Email the code to')).toBeNull();
    expect(shop.of('email_code')).toEqual([]);
  });

  it('shows "Sending…" while the email command runs', async () => {
    const job = deferred<HandoverItem>();
    mockShop({ email_code: () => job.promise });
    showDelivery('asha@example.com');
    await key('e');
    const field = await panel().findByLabelText('Email the code to');
    await fireEvent.keyDown(field, { key: 'Enter' });
    expect(panel().getAllByRole('button', { name: /Sending…/ }).length).toBeGreaterThan(0);
    job.resolve(handover({ id: 9, kind: 'email', destination: 'asha@example.com' }));
    await waitFor(() => expect(emailLines()).toEqual(['Email Sent to asha@example.com ✓']));
  });
});

describe('the receipt preview', () => {
  it('R shows the text receipt in monospace and hides it again; the button says so', async () => {
    const shop = mockShop();
    showDelivery();
    const toggle = panel().getByRole('button', { name: /Receipt preview/ });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await key('r');
    const pre = await waitFor(() => {
      const el = screen.getByTestId('receipt-preview').querySelector('pre');
      expect(el).toBeTruthy();
      return el as HTMLPreElement;
    });
    expect(pre.textContent).toBe(RECEIPT_TEXT);
    expect(pre.className).toContain('mono');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(shop.of('receipt_preview')).toEqual([{ cmd: 'receipt_preview', args: { order: 'ORD-000042', language: 'en' } }]);

    await key('R');
    expect(screen.queryByTestId('receipt-preview')).toBeNull();
    await fireEvent.click(toggle);
    expect(screen.getByTestId('receipt-preview').textContent).toContain('CODETILL DEMO SHOP');
    expect(shop.of('receipt_preview')).toHaveLength(1); // the same language: not asked again
  });

  it('follows the language on the screen', async () => {
    const shop = mockShop({ receipt_preview: (a) => (a.language === 'hi' ? 'रसीद' : 'RECEIPT') });
    showDelivery();
    await key('r');
    await waitFor(() => expect(screen.getByTestId('receipt-preview').textContent).toContain('RECEIPT'));
    setLocale('hi');
    await waitFor(() => expect(screen.getByTestId('receipt-preview').textContent).toContain('रसीद'));
    expect(shop.of('receipt_preview').map((c) => c.args.language)).toEqual(['en', 'hi']);
    expect(panel().getByRole('heading').textContent).toBe('रसीद और ईमेल');
  });
});

describe('right after the sale', () => {
  it('asks again every pollMs while a first attempt is pending, then stops', async () => {
    const pending: DeliveryStatus = {
      printer: 'pdf:/shop/receipts',
      email_ready: true,
      items: [
        handover({ id: 1, kind: 'print', status: 'queued', attempts: 0, sent_at: null }),
        handover({ id: 2, kind: 'email', status: 'queued', attempts: 0, sent_at: null }),
      ],
    };
    const done: DeliveryStatus = { ...pending, items: [handover({ id: 1, kind: 'print' }), handover({ id: 2, kind: 'email' })] };
    let asked = 0;
    const shop = mockShop({ delivery_status: () => (++asked < 3 ? pending : done) });
    render(Handover, { order: 'ORD-000042', pollMs: 10 });
    await waitFor(() => expect(receiptLine().textContent).toContain('Printing…'));
    expect(emailLines()).toEqual(['Email Sending to buyer@example.com…']);
    await waitFor(() => expect(receiptLine().textContent).toContain('Printed ✓'));
    expect(emailLines()).toEqual(['Email Sent to buyer@example.com ✓']);
    await new Promise((r) => setTimeout(r, 50));
    expect(shop.of('delivery_status')).toHaveLength(3);
  });

  it('gives up after pollForMs, and stops when the screen closes', async () => {
    const stuck: DeliveryStatus = {
      printer: 'pdf:/shop/receipts',
      email_ready: true,
      items: [handover({ id: 1, kind: 'print', status: 'queued', attempts: 0, sent_at: null })],
    };
    const shop = mockShop({ delivery_status: () => stuck });
    render(Handover, { order: 'ORD-000042', pollMs: 5, pollForMs: 40 });
    await new Promise((r) => setTimeout(r, 150));
    const asked = shop.of('delivery_status').length;
    expect(asked).toBeGreaterThan(1);
    expect(asked).toBeLessThan(15);

    const second = render(Handover, { order: 'ORD-000042', pollMs: 5 });
    await new Promise((r) => setTimeout(r, 30));
    second.unmount();
    const atClose = shop.of('delivery_status').length;
    await new Promise((r) => setTimeout(r, 50));
    expect(shop.of('delivery_status').length).toBe(atClose);
  });
});

describe('at the counter', () => {
  const searchBox = () => screen.getByRole('combobox') as HTMLInputElement;

  async function sell(email: string) {
    await fireEvent.input(searchBox(), { target: { value: 'steam 20' } });
    await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    const pay = within(await screen.findByRole('region', { name: /Payment|भुगतान/ }));
    const cash = pay.getAllByRole('textbox')[0] as HTMLInputElement;
    await fireEvent.input(cash, { target: { value: '2000' } });
    const field = pay.getByLabelText(/Email the code to|ईमेल पर भी/) as HTMLInputElement;
    expect(field.type).toBe('email');
    await fireEvent.input(field, { target: { value: email } });
    // Enter in the email field confirms the payment, like in the amount field.
    await fireEvent.keyDown(field, { key: 'Enter' });
    return screen.findByTestId('delivery');
  }

  it('the email typed at payment goes to sell_cash with the language, and shows on the delivery screen', async () => {
    const shop = mockShop({
      sell_cash: () => {
        shop.delivery.items.push(handover({ id: 2, kind: 'email', destination: 'asha@example.com' }));
        return deliveredOrder(STEAM_20, '2000.00', '101.00');
      },
    });
    render(Counter, { debounceMs: 0 });
    await sell(' asha@example.com ');
    expect(shop.of('sell_cash')).toEqual([
      { cmd: 'sell_cash', args: { sku: 'STEAM-US-20', tendered: '2000.00', email: 'asha@example.com', language: 'en' } },
    ]);
    await waitFor(() => expect(emailLines()).toEqual(['Email Sent to asha@example.com ✓']));
  });

  it('in Hindi the sale asks for a Hindi receipt and the panel speaks Hindi', async () => {
    setLocale('hi');
    const shop = mockShop({ sell_cash: () => deliveredOrder(STEAM_20, '2000.00', '101.00') });
    render(Counter, { debounceMs: 0 });
    await sell('');
    expect(shop.of('sell_cash')[0]?.args).toEqual({ sku: 'STEAM-US-20', tendered: '2000.00', email: null, language: 'hi' });
    await waitFor(() => expect(receiptLine().textContent).toContain('छप गई ✓'));
  });

  it('an address that is plainly wrong keeps the sale from being confirmed', async () => {
    mockShop();
    render(Counter, { debounceMs: 0 });
    await fireEvent.input(searchBox(), { target: { value: 'steam 20' } });
    await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    await fireEvent.input(await screen.findByLabelText('Cash received'), { target: { value: '2000' } });
    const field = screen.getByLabelText('Email the code to (optional)');
    await fireEvent.input(field, { target: { value: 'asha at example' } });
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/Check the email address/)).toBeTruthy();
    expect((screen.getByRole('button', { name: /issue the code/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('Enter and Esc in the delivery email field belong to the field, not to "next sale"', async () => {
    const shop = mockShop({ sell_cash: () => deliveredOrder(STEAM_20, '2000.00', '101.00') });
    render(Counter, { debounceMs: 0 });
    await sell('asha@example.com');
    await key('e');
    const field = await panel().findByLabelText('Email the code to');
    await waitFor(() => expect(document.activeElement).toBe(field));
    await fireEvent.keyDown(field, { key: 'Escape' });
    expect(screen.getByTestId('delivery')).toBeTruthy();
    expect(panel().queryByLabelText('Email the code to')).toBeNull();

    await key('e');
    const again = await panel().findByLabelText('Email the code to');
    await fireEvent.keyDown(again, { key: 'Enter' });
    await waitFor(() => expect(shop.of('email_code')).toHaveLength(1));
    expect(screen.getByTestId('delivery')).toBeTruthy();

    // Back on the screen's keys: Esc is the next sale, as before.
    await waitFor(() => expect(panel().queryByLabelText('Email the code to')).toBeNull());
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('delivery')).toBeNull());
  });
});
