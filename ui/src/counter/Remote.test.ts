import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../lib/i18n/index.svelte';
import type { OrderStatus, RemoteSale } from '../lib/types';
import { STEAM_20 } from '../test/catalog';
import { deliveredOrder, handover, mockShop } from '../test/shop';
import Counter from './Counter.svelte';

const URL = 'https://checkout.stripe.test/c/pay/cs_test_0001';
const QR = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" shape-rendering="crispEdges"><rect width="29" height="29" fill="#fff"/><path fill="#000" d="M4 4h7v1h-7z"/></svg>';

function remoteSale(extra: Partial<RemoteSale> = {}): RemoteSale {
  return {
    order_id: 'ORD-000077',
    provider: 'stripe',
    payment_url: URL,
    price: STEAM_20.retail.amount,
    currency: STEAM_20.retail.currency,
    status: 'quoted',
    email: 'buyer@example.com',
    qr_svg: QR,
    ...extra,
  };
}

const searchBox = () => screen.getByRole('combobox') as HTMLInputElement;
const emailBox = () => screen.getByLabelText(/Buyer’s email/) as HTMLInputElement;
const createButton = () => screen.getByRole('button', { name: /Create payment link/ }) as HTMLButtonElement;

/** Search, Enter on the first result, wait for the payment form, then F5. */
async function goRemote(text = 'steam 20') {
  await fireEvent.input(searchBox(), { target: { value: text } });
  await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
  await fireEvent.keyDown(searchBox(), { key: 'Enter' });
  await waitFor(() => expect(screen.getByRole('region', { name: 'Payment' })).toBeTruthy());
  await fireEvent.keyDown(window, { key: 'F5' });
  await waitFor(() => expect(document.activeElement).toBe(emailBox()));
}

/** The order as `order` answers it, in `status`. */
const orderIn = (status: OrderStatus) =>
  deliveredOrder(STEAM_20, '0', '0', { order_id: 'ORD-000077', status, paid: null, codes: undefined });

describe('selling remotely', () => {
  it('F5 opens the remote form; Enter makes the link and shows its QR, price and order', async () => {
    let finish: (s: RemoteSale) => void = () => {};
    const shop = mockShop({
      sell_remotely: () => new Promise((resolve) => (finish = resolve)),
      order: () => orderIn('quoted'),
    });
    render(Counter, { debounceMs: 0, remotePollMs: 60_000 });
    await goRemote();
    expect(createButton().disabled).toBe(true);
    await fireEvent.input(emailBox(), { target: { value: 'buyer@example' } });
    expect(screen.getByText(/Type the buyer’s email address/)).toBeTruthy();
    expect(createButton().disabled).toBe(true);
    await fireEvent.input(emailBox(), { target: { value: ' buyer@example.com ' } });
    expect(createButton().disabled).toBe(false);

    await fireEvent.keyDown(emailBox(), { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('linking')).toBeTruthy());
    // A second Enter while the link is being made asks for nothing more.
    await fireEvent.keyDown(window, { key: 'Enter' });
    expect(shop.of('sell_remotely')).toEqual([
      { cmd: 'sell_remotely', args: { sku: 'STEAM-US-20', email: 'buyer@example.com', provider: 'stripe', language: 'en' } },
    ]);

    finish(remoteSale());
    const panel = within(await screen.findByTestId('remote-sale'));
    const qr = panel.getByTestId('remote-qr').querySelector('svg');
    expect(qr?.getAttribute('viewBox')).toBe('0 0 29 29');
    expect(qr?.querySelector('path')?.getAttribute('d')).toBe('M4 4h7v1h-7z');
    expect(panel.getByTestId('remote-price').textContent).toBe('₹1,899.00');
    expect(panel.getByTestId('remote-order').textContent).toBe('ORD-000077');
    expect((panel.getByLabelText('Link') as HTMLInputElement).value).toBe(URL);
    expect(panel.getByTestId('remote-status').textContent?.trim()).toBe(
      'Awaiting payment — the code is emailed to buyer@example.com once paid.',
    );
    expect(panel.getByText(STEAM_20.name)).toBeTruthy();
  });

  it('asks for the order until it is delivered and its email sent, then stops', async () => {
    const statuses: OrderStatus[] = ['quoted', 'paid', 'delivered', 'delivered'];
    let emailed = false;
    const shop = mockShop({
      sell_remotely: () => remoteSale(),
      order: () => orderIn(statuses.shift() ?? 'delivered'),
      delivery_status: () => {
        const sent = emailed;
        emailed = true;
        return {
          printer: null,
          email_ready: true,
          items: [handover({ id: 1, kind: 'email', status: sent ? 'sent' : 'queued', sent_at: null })],
        };
      },
    });
    render(Counter, { debounceMs: 0, remotePollMs: 5 });
    await goRemote();
    await fireEvent.input(emailBox(), { target: { value: 'buyer@example.com' } });
    await fireEvent.click(createButton());
    const status = await screen.findByTestId('remote-status');
    await waitFor(() => expect(status.textContent).toContain('Paid — getting the code'));
    await waitFor(() => expect(status.textContent).toContain('sending the code to buyer@example.com'));
    await waitFor(() =>
      expect(status.textContent?.trim()).toBe('✓ Paid and delivered — the code was emailed to buyer@example.com.'),
    );
    const asked = shop.of('order').length;
    expect(shop.of('order')[0]?.args).toEqual({ id: 'ORD-000077' });
    await new Promise((r) => setTimeout(r, 50));
    expect(shop.of('order').length).toBe(asked);
  });

  it('a provider that is not set up keeps the form with its reason; BTCPay can be chosen', async () => {
    const shop = mockShop({
      sell_remotely: () => {
        throw { code: 'errors.payment_provider', message: 'btcpay is not configured: no server URL' };
      },
    });
    render(Counter, { debounceMs: 0 });
    await goRemote();
    // Every provider the till acts on is offered.
    expect(screen.getByRole('radio', { name: 'NOWPayments — crypto' })).toBeTruthy();
    expect(screen.getByRole('radio', { name: 'Razorpay — UPI, card' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('radio', { name: 'BTCPay — bitcoin' }));
    expect(screen.getByRole('radio', { name: 'BTCPay — bitcoin' }).getAttribute('aria-checked')).toBe('true');
    // The email with the code can go out in Hindi from an English screen.
    expect(screen.getByRole('radio', { name: 'EN' }).getAttribute('aria-checked')).toBe('true');
    await fireEvent.click(screen.getByRole('radio', { name: 'हिन्दी' }));
    await fireEvent.input(emailBox(), { target: { value: 'buyer@example.com' } });
    await fireEvent.keyDown(emailBox(), { key: 'Enter' });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('No payment link made — nothing was charged');
    expect(alert.textContent).toContain('This payment provider is not set up on this till');
    expect(alert.textContent).toContain('btcpay is not configured: no server URL');
    expect(shop.of('sell_remotely')[0]?.args).toMatchObject({ provider: 'btcpay', language: 'hi' });
    expect(screen.queryByTestId('remote-sale')).toBeNull();
    expect(emailBox().value).toBe('buyer@example.com');
  });

  it('Esc goes back from the remote form to cash; Esc on the link screen starts the next sale', async () => {
    mockShop({ sell_remotely: () => remoteSale(), order: () => orderIn('quoted') });
    render(Counter, { debounceMs: 0, remotePollMs: 60_000 });
    await goRemote();
    await fireEvent.keyDown(emailBox(), { key: 'Escape' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Cash received')));
    expect(screen.queryByLabelText(/Buyer’s email/)).toBeNull();

    await fireEvent.keyDown(window, { key: 'F5' });
    await waitFor(() => expect(document.activeElement).toBe(emailBox()));
    await fireEvent.input(emailBox(), { target: { value: 'buyer@example.com' } });
    await fireEvent.keyDown(emailBox(), { key: 'Enter' });
    await screen.findByTestId('remote-sale');
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('remote-sale')).toBeNull());
    expect(searchBox().value).toBe('');
  });

  it('speaks Hindi on the link screen', async () => {
    setLocale('hi');
    mockShop({ sell_remotely: () => remoteSale({ provider: 'btcpay' }), order: () => orderIn('quoted') });
    render(Counter, { debounceMs: 0, remotePollMs: 60_000 });
    await fireEvent.input(searchBox(), { target: { value: 'steam 20' } });
    await waitFor(() => expect(screen.queryAllByRole('option').length).toBeGreaterThan(0));
    await fireEvent.keyDown(searchBox(), { key: 'Enter' });
    await waitFor(() => expect(screen.getByRole('button', { name: /दूर से बेचें/ })).toBeTruthy());
    await fireEvent.click(screen.getByRole('button', { name: /दूर से बेचें/ }));
    const email = (await screen.findByLabelText(/ख़रीदार का ईमेल/)) as HTMLInputElement;
    await fireEvent.input(email, { target: { value: 'buyer@example.com' } });
    await fireEvent.keyDown(email, { key: 'Enter' });
    const panel = within(await screen.findByTestId('remote-sale'));
    expect(panel.getByTestId('remote-status').textContent?.trim()).toBe(
      'भुगतान का इंतज़ार — भुगतान होते ही कोड buyer@example.com पर ईमेल किया जाएगा।',
    );
    expect(panel.getByText('BTCPay — बिटकॉइन')).toBeTruthy();
  });
});
