import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Member } from '../lib/types';
import { mockShop } from '../test/shop';
import Staff from './Staff.svelte';

function team(): Member[] {
  return [
    { id: 1, name: 'Meera', role: 'owner', enabled: true, locked_until: null, created_at: '2026-03-01T09:00:00Z' },
    { id: 2, name: 'Asha', role: 'cashier', enabled: true, locked_until: null, created_at: '2026-03-02T09:00:00Z' },
  ];
}

function shop() {
  const staff = team();
  const mock = mockShop({
    staff_list: () => structuredClone(staff),
    add_staff: (a) => {
      const m: Member = { id: staff.length + 1, name: String(a.name), role: a.role as Member['role'], enabled: true, locked_until: null, created_at: '2026-03-03T09:00:00Z' };
      staff.push(m);
      return m;
    },
    set_staff_enabled: (a) => {
      const m = staff.find((x) => x.name === a.name);
      if (!m) throw { code: 'errors.not_found', message: 'no member' };
      if (m.role === 'owner') throw { code: 'errors.validation', message: 'Meera is the last enabled owner: make another owner first' };
      m.enabled = Boolean(a.enabled);
      return m;
    },
  });
  return { mock, staff };
}

const row = (name: string) => screen.getByRole('cell', { name }).closest('tr') as HTMLElement;

describe('the staff screen', () => {
  it('lists the staff with their roles, and disables and enables a member', async () => {
    const { mock } = shop();
    render(Staff);
    await screen.findByRole('cell', { name: 'Asha' });
    expect(within(row('Meera')).getByText('Owner')).toBeTruthy();
    expect(within(row('Asha')).getByText('Cashier')).toBeTruthy();

    await fireEvent.click(screen.getByTestId('toggle-Asha'));
    await waitFor(() => expect(within(row('Asha')).getByText('Disabled')).toBeTruthy());
    expect(mock.of('set_staff_enabled')[0]?.args).toEqual({ name: 'Asha', enabled: false });
    await fireEvent.click(screen.getByTestId('toggle-Asha'));
    await waitFor(() => expect(within(row('Asha')).getByText('May sign in')).toBeTruthy());
    expect(mock.of('set_staff_enabled')[1]?.args).toEqual({ name: 'Asha', enabled: true });
  });

  it('shows what core refused (the last owner stays)', async () => {
    shop();
    render(Staff);
    await screen.findByRole('cell', { name: 'Meera' });
    await fireEvent.click(screen.getByTestId('toggle-Meera'));
    expect((await screen.findByRole('alert')).textContent).toContain('last enabled owner');
  });

  it('adds someone only with the same PIN typed twice', async () => {
    const { mock } = shop();
    render(Staff);
    await screen.findByRole('cell', { name: 'Asha' });
    await fireEvent.input(screen.getByTestId('staff-name'), { target: { value: 'Ravi' } });
    await fireEvent.change(screen.getByTestId('staff-role'), { target: { value: 'manager' } });
    await fireEvent.input(screen.getByTestId('staff-pin'), { target: { value: '2468' } });
    await fireEvent.input(screen.getByTestId('staff-pin-again'), { target: { value: '2469' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The two PINs differ');
    expect(mock.of('add_staff')).toHaveLength(0);

    await fireEvent.input(screen.getByTestId('staff-pin-again'), { target: { value: '2468' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await screen.findByRole('cell', { name: 'Ravi' });
    expect(mock.of('add_staff')[0]?.args).toEqual({ name: 'Ravi', role: 'manager', pin: '2468' });
    expect(within(row('Ravi')).getByText('Manager')).toBeTruthy();
    expect((screen.getByTestId('staff-pin') as HTMLInputElement).value).toBe('');
  });
});
